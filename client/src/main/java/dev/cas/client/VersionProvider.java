package dev.cas.client;

import dev.cas.worker.daemon.WorkerProtocol;
import picocli.CommandLine.IVersionProvider;

/** {@code cas-compile --version}: this build and the toolchain it compiles with. */
final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"cas-compile " + WorkerProtocol.buildId(),
            "toolchain: clang/LLVM/lld 20.1.7 (org.bytedeco:llvm 20.1.7-1.5.12), target x86_64-unknown-linux-gnu"};
    }
}
