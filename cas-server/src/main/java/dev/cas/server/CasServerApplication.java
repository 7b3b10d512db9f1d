package dev.cas.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The cache server's entry point: {@code java -jar cas-server.jar}, configured by application.yaml and env vars. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class CasServerApplication {
    public static void main(String[] args) {
        SpringApplication.run(CasServerApplication.class, args);
    }
}
