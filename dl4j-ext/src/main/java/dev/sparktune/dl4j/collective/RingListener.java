package dev.sparktune.dl4j.collective;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

/**
 * A rank's listening socket, bound before the rendezvous so its address can be exchanged; consumed by
 * {@link TcpRingCollective#connect}. Bind to the address the other ranks reach this executor on.
 */
public final class RingListener implements AutoCloseable {
    private final ServerSocketChannel channel;
    private final PeerAddress address;

    private RingListener(ServerSocketChannel channel, PeerAddress address) {
        this.channel = channel;
        this.address = address;
    }

    /** Binds an ephemeral port on {@code host}. */
    public static RingListener bind(String host) {
        return bind(host, 0);
    }

    /** Binds {@code port} on {@code host} (0 = ephemeral). */
    public static RingListener bind(String host, int port) {
        try {
            ServerSocketChannel ch = ServerSocketChannel.open();
            try {
                ch.bind(new InetSocketAddress(host, port), 16);
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            return new RingListener(ch, new PeerAddress(host, ((InetSocketAddress) ch.getLocalAddress()).getPort()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + " for the collective ring", e);
        }
    }

    public PeerAddress address() {
        return address;
    }

    ServerSocketChannel channel() {
        return channel;
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
