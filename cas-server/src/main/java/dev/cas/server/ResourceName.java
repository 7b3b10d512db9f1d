package dev.cas.server;

import dev.cas.store.Digest;
import java.util.Arrays;
import java.util.List;

/**
 * A ByteStream resource name, as REAPI v2 defines them:
 * {@code {instance}/blobs/{hash}/{size}} and {@code {instance}/compressed-blobs/zstd/{hash}/{size}} for reads,
 * {@code {instance}/uploads/{uuid}/blobs/{hash}/{size}[/{metadata}]} and its {@code compressed-blobs/zstd} form for
 * writes. Anything else is INVALID_ARGUMENT.
 */
record ResourceName(String instance, Digest digest, boolean zstd) {
    private static final List<String> KEYWORDS = List.of("blobs", "uploads", "actions", "actionResults",
            "operations", "capabilities", "compressed-blobs");

    static ResourceName forRead(String name) {
        String[] parts = name.split("/", -1);
        int at = indexOfBlobs(parts, name);
        return parse(parts, at, instance(parts, at, name), name, false);
    }

    static ResourceName forWrite(String name) {
        String[] parts = name.split("/", -1);
        int at = indexOfBlobs(parts, name);
        if (at < 2 || !parts[at - 2].equals("uploads") || parts[at - 1].isEmpty()) {
            throw Digests.invalid("write resource name must be '{instance}/uploads/{uuid}/blobs/{hash}/{size}': '"
                    + name + "'");
        }
        return parse(parts, at, instance(parts, at - 2, name), name, true);
    }

    private static int indexOfBlobs(String[] parts, String name) {
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].equals("blobs") || parts[i].equals("compressed-blobs")) {
                return i;
            }
        }
        throw Digests.invalid("resource name has no 'blobs' or 'compressed-blobs' segment: '" + name + "'");
    }

    private static String instance(String[] parts, int end, String name) {
        for (int i = 0; i < end; i++) {
            if (parts[i].isEmpty() || parts[i].equals(".") || parts[i].equals("..") || KEYWORDS.contains(parts[i])) {
                throw Digests.invalid("malformed instance name in resource name '" + name + "'");
            }
        }
        return String.join("/", Arrays.copyOfRange(parts, 0, end));
    }

    private static ResourceName parse(String[] parts, int at, String instance, String name, boolean write) {
        boolean compressed = parts[at].equals("compressed-blobs");
        int hashAt = at + (compressed ? 2 : 1);
        if (compressed && (parts.length <= at + 1 || !parts[at + 1].equals("zstd"))) {
            throw Digests.invalid("unsupported compressor in '" + name + "': only zstd is served");
        }
        if (hashAt < parts.length && parts[hashAt].equals("sha256")) {
            hashAt++;
        }
        int rest = parts.length - hashAt;
        if (rest < 2 || (!write && rest > 2)) {
            throw Digests.invalid("resource name must end in '{hash}/{size}': '" + name + "'");
        }
        long size;
        try {
            size = Long.parseLong(parts[hashAt + 1]);
        } catch (NumberFormatException e) {
            throw Digests.invalid("blob size is not a number in '" + name + "'");
        }
        return new ResourceName(instance, Digests.parse(parts[hashAt], size), compressed);
    }
}
