package dev.cas.image;

import com.github.dockerjava.api.model.Bind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The cas-server image as the tests use it: built once per run from this module's Dockerfile and the freshly
 * packaged server jar (so a test never runs a stale image); and containers of it with a token, a named volume and
 * the image's own healthcheck as the readiness signal.
 */
final class CasServerImage {
    static final String WRITER_TOKEN = "container-test-writer-secret";
    static final String READER_TOKEN = "container-test-reader-secret";
    static final int HTTP_PORT = 8080;
    static final int GRPC_PORT = 9092;
    private static String imageName;

    private CasServerImage() {
    }

    /**
     * Builds the image on first use with the script users run (docker/build-image: the Debian base through
     * debootstrap when missing, then the Dockerfile on the jar this build packaged), so both stay tested.
     */
    static synchronized String image() throws IOException, InterruptedException {
        if (imageName == null) {
            Path jar = Path.of(System.getProperty("cas.server.jar"));
            if (!Files.isRegularFile(jar)) {
                throw new IllegalStateException("no packaged server at " + jar + ": run mvn package first");
            }
            String tag = "cas-server:test";
            Process script = new ProcessBuilder(System.getProperty("cas.build.image.script"), tag)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
            if (!script.waitFor(10, TimeUnit.MINUTES) || script.exitValue() != 0) {
                script.destroyForcibly();
                throw new IllegalStateException("docker/build-image could not build " + tag + " (the base image needs"
                        + " root for debootstrap and the Debian mirror); see its output above");
            }
            imageName = tag;
        }
        return imageName;
    }

    /** A container of the image keeping its data in {@code volume}; not started. */
    static GenericContainer<?> container(String image, String volume) {
        return new GenericContainer<>(DockerImageName.parse(image))
                .withImagePullPolicy(name -> false)
                .withExposedPorts(HTTP_PORT, GRPC_PORT)
                .withEnv("CAS_AUTH_TOKENS_0_NAME", "ci")
                .withEnv("CAS_AUTH_TOKENS_0_SECRET", WRITER_TOKEN)
                .withEnv("CAS_AUTH_TOKENS_0_SCOPE", "READ_WRITE")
                .withEnv("CAS_AUTH_TOKENS_1_NAME", "developers")
                .withEnv("CAS_AUTH_TOKENS_1_SECRET", READER_TOKEN)
                .withEnv("CAS_AUTH_TOKENS_1_SCOPE", "READ_ONLY")
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withBinds(
                        Bind.parse(volume + ":/data")))
                .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(2)));
    }
}
