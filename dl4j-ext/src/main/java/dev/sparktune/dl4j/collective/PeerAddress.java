package dev.sparktune.dl4j.collective;

import java.io.Serializable;
import java.net.InetSocketAddress;

/** Where a rank's ring listener accepts its predecessor's connection. */
public record PeerAddress(String host, int port) implements Serializable {
    public PeerAddress {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("peer host must be non-empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("peer port must be in [1, 65535], got " + port);
        }
    }

    /** Parses {@code host:port} (the form ranks exchange during rendezvous). */
    public static PeerAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("expected host:port, got \"" + hostPort + "\"");
        }
        try {
            return new PeerAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected host:port, got \"" + hostPort + "\"", e);
        }
    }

    InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return host + ":" + port;
    }
}
