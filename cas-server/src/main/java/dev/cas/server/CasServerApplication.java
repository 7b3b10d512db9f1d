package dev.cas.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The cache server's entry point: {@code java -jar cas-server.jar}, configured by application.yaml and env vars. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class CasServerApplication {
    /** grpc-netty-shaded relocates Netty's system properties along with its classes. */
    private static final String LEAK_DETECTION = "io.grpc.netty.shaded.io.netty.leakDetection.level";

    public static void main(String[] args) {
        // Netty's leak detector records a stack trace for a sample of buffers: ~2.5% of the server's CPU on 4 KiB
        // reads. Tests that start the server in-process (not through this method) keep it on to catch leaks; a -D on
        // the command line (e.g. -Dio.grpc.netty.shaded.io.netty.leakDetection.level=simple) still wins.
        if (System.getProperty(LEAK_DETECTION) == null) {
            System.setProperty(LEAK_DETECTION, "disabled");
        }
        SpringApplication.run(CasServerApplication.class, args);
    }
}
