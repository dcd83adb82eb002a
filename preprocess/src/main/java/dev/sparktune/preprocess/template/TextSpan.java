package dev.sparktune.preprocess.template;

import java.io.Serializable;

/** A half-open range {@code [start, end)} of UTF-16 char offsets into a rendered conversation. */
public record TextSpan(int start, int end) implements Serializable {
    public TextSpan {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("bad span [" + start + ", " + end + ")");
        }
    }

    public boolean contains(int offset) {
        return offset >= start && offset < end;
    }
}
