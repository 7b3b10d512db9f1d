package dev.cas.server;

import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC server's own Netty event loops (epoll where the platform has it): one thread accepting connections and
 * a sized group serving them. grpc-java's shared default starts two per processor; the short reads run on these
 * threads, so more threads than processors only add switching between them.
 */
record TransportThreads(EventLoopGroup boss, EventLoopGroup workers, Class<? extends ServerChannel> channelType)
        implements AutoCloseable {

    static TransportThreads start(int workerThreads) {
        if (Epoll.isAvailable()) {
            return new TransportThreads(new EpollEventLoopGroup(1, new DefaultThreadFactory("grpc-accept", true)),
                    new EpollEventLoopGroup(workerThreads, new DefaultThreadFactory("grpc-transport", true)),
                    EpollServerSocketChannel.class);
        }
        return new TransportThreads(new NioEventLoopGroup(1, new DefaultThreadFactory("grpc-accept", true)),
                new NioEventLoopGroup(workerThreads, new DefaultThreadFactory("grpc-transport", true)),
                NioServerSocketChannel.class);
    }

    /** Called after the server has terminated: nothing is left to run on the loops. */
    @Override
    public void close() {
        boss.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
