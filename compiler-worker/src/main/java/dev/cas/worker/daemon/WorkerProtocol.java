package dev.cas.worker.daemon;

import dev.cas.worker.WorkerResponse;
import dev.cas.worker.clang.Toolchain;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The wire format between the {@code cas-compile} launcher and the worker daemon over a Unix-domain socket:
 * length-prefixed fields, one request and one response per connection. Both sides must come from the same build;
 * the daemon answers a request from another build with {@link #STALE} so the launcher replaces it.
 */
public final class WorkerProtocol {
    public static final int MAGIC = 0xCA5C0001;
    /** Exit status the daemon answers with when the request came from a different build of cas-compile. */
    public static final int STALE = -100;

    /** What the launcher asks for. */
    public enum Command {
        COMPILE, STATS, CLEAR, SHUTDOWN, PING, EXPLAIN
    }

    /** One request: a command, the caller's build, directory and environment, and its arguments. */
    public record Request(Command command, String buildId, String workingDirectory, Map<String, String> environment,
            List<String> arguments) {
    }

    private WorkerProtocol() {
    }

    /** Identifies this build, so a launcher never talks to a daemon left running by an older jar. */
    public static String buildId() {
        return Toolchain.buildProperty("version") + "@" + Toolchain.buildProperty("build.time");
    }

    public static void writeRequest(DataOutputStream out, Request request) throws IOException {
        out.writeInt(MAGIC);
        out.writeUTF(request.command().name());
        writeString(out, request.buildId());
        writeString(out, request.workingDirectory());
        out.writeInt(request.environment().size());
        for (Map.Entry<String, String> entry : request.environment().entrySet()) {
            writeString(out, entry.getKey());
            writeString(out, entry.getValue());
        }
        out.writeInt(request.arguments().size());
        for (String argument : request.arguments()) {
            writeString(out, argument);
        }
        out.flush();
    }

    public static Request readRequest(DataInputStream in) throws IOException {
        if (in.readInt() != MAGIC) {
            throw new IOException("not a cas-compile request");
        }
        Command command = Command.valueOf(in.readUTF());
        String buildId = readString(in);
        String cwd = readString(in);
        int envCount = in.readInt();
        Map<String, String> environment = new LinkedHashMap<>();
        for (int i = 0; i < envCount; i++) {
            environment.put(readString(in), readString(in));
        }
        int argCount = in.readInt();
        List<String> arguments = new ArrayList<>();
        for (int i = 0; i < argCount; i++) {
            arguments.add(readString(in));
        }
        return new Request(command, buildId, cwd, environment, arguments);
    }

    public static void writeResponse(DataOutputStream out, WorkerResponse response) throws IOException {
        out.writeInt(response.exitCode());
        writeBytes(out, response.stdout());
        writeBytes(out, response.stderr());
        out.flush();
    }

    public static WorkerResponse readResponse(DataInputStream in) throws IOException {
        int exit = in.readInt();
        return new WorkerResponse(exit, readBytes(in), readBytes(in));
    }

    private static void writeString(DataOutputStream out, String value) throws IOException {
        writeBytes(out, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String readString(DataInputStream in) throws IOException {
        return new String(readBytes(in), StandardCharsets.UTF_8);
    }

    private static void writeBytes(DataOutputStream out, byte[] value) throws IOException {
        out.writeInt(value.length);
        out.write(value);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > (1 << 30)) {
            throw new IOException("field length out of range: " + length);
        }
        return in.readNBytes(length);
    }
}
