package dev.cas.server;

import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.Directory;
import build.bazel.remote.execution.v2.FileNode;
import build.bazel.remote.execution.v2.OutputDirectory;
import build.bazel.remote.execution.v2.OutputFile;
import build.bazel.remote.execution.v2.Tree;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.cas.store.BlobStore;
import dev.cas.store.Digest;
import io.grpc.StatusRuntimeException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What an action result depends on: the blobs it names, directly or inside its output directories' trees. A result
 * is served only while all of them are in the CAS with the sizes its digests declare, so eviction can remove blobs in
 * any order and a client never gets a hit it cannot download.
 */
final class ActionResults {
    /** The most {@code Directory} blobs one output directory's walk reads (a hostile result cannot make it loop). */
    static final int MAX_DIRECTORIES = 100_000;

    private ActionResults() {
    }

    static Optional<ActionResult> parse(byte[] stored) {
        try {
            return Optional.of(ActionResult.parseFrom(stored));
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }

    /**
     * True when every blob the result names is held, with the size its digest declares: output files, stdout and
     * stderr, each output directory's tree and every file inside it (Bazel fails a build on a hit whose tree names
     * an evicted file).
     */
    static boolean complete(ActionResult result, BlobStore cas) {
        if (!cas.findMissing(referencedBlobs(result)).isEmpty()) {
            return false;
        }
        for (OutputDirectory directory : result.getOutputDirectoriesList()) {
            Optional<List<Digest>> files = filesInside(directory, cas);
            if (files.isEmpty() || !cas.findMissing(files.get()).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The files of an output directory: from its {@code Tree} (every directory inline), or by walking the
     * {@code Directory} blobs from its root digest. Empty when a blob it needs is missing, damaged or not what it
     * should be, or the walk exceeds {@link #MAX_DIRECTORIES}.
     */
    private static Optional<List<Digest>> filesInside(OutputDirectory directory, BlobStore cas) {
        List<Digest> files = new ArrayList<>();
        try {
            if (directory.hasTreeDigest()) {
                Optional<byte[]> tree = blob(Digests.fromProto(directory.getTreeDigest()), cas);
                if (tree.isEmpty()) {
                    return Optional.empty();
                }
                Tree parsed = Tree.parseFrom(tree.get());
                addFiles(parsed.getRoot(), files);
                parsed.getChildrenList().forEach(child -> addFiles(child, files));
                return Optional.of(files);
            }
            if (directory.hasRootDirectoryDigest()) {
                ArrayDeque<Digest> pending = new ArrayDeque<>(List.of(Digests.fromProto(
                        directory.getRootDirectoryDigest())));
                for (int walked = 0; !pending.isEmpty(); walked++) {
                    Optional<byte[]> blob = walked < MAX_DIRECTORIES ? blob(pending.poll(), cas) : Optional.empty();
                    if (blob.isEmpty()) {
                        return Optional.empty();
                    }
                    Directory parsed = Directory.parseFrom(blob.get());
                    addFiles(parsed, files);
                    parsed.getDirectoriesList().forEach(child -> pending.add(Digests.fromProto(child.getDigest())));
                }
            }
            return Optional.of(files);
        } catch (InvalidProtocolBufferException | StatusRuntimeException e) {
            return Optional.empty(); // a damaged tree or a malformed digest in it: not servable (a failing store
                                     // is not a miss: it reaches the client as the store's failure)
        }
    }

    private static Optional<byte[]> blob(Digest digest, BlobStore cas) {
        return digest.size() == 0 ? Optional.of(new byte[0]) : cas.get(digest);
    }

    private static void addFiles(Directory directory, List<Digest> files) {
        for (FileNode file : directory.getFilesList()) {
            Digest digest = Digests.fromProto(file.getDigest());
            if (digest.size() > 0) {
                files.add(digest);
            }
        }
    }

    static List<Digest> referencedBlobs(ActionResult result) {
        List<Digest> blobs = new ArrayList<>();
        for (OutputFile file : result.getOutputFilesList()) {
            if (file.hasDigest()) {
                blobs.add(Digests.fromProto(file.getDigest()));
            }
        }
        for (OutputDirectory directory : result.getOutputDirectoriesList()) {
            if (directory.hasTreeDigest()) {
                blobs.add(Digests.fromProto(directory.getTreeDigest()));
            }
        }
        if (result.hasStdoutDigest()) {
            blobs.add(Digests.fromProto(result.getStdoutDigest()));
        }
        if (result.hasStderrDigest()) {
            blobs.add(Digests.fromProto(result.getStderrDigest()));
        }
        blobs.removeIf(digest -> digest.size() == 0);
        return blobs;
    }
}
