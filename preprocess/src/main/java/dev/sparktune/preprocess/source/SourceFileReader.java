package dev.sparktune.preprocess.source;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Reads one source file record by record, lazily: one record of lookahead, at most {@code limit} records, and the
 * file closed as soon as its records run out (or on {@link #close()}). A subclass says how the next record is read
 * from its format and where in the file it is reading, for the message of an I/O error.
 */
abstract class SourceFileReader implements Iterator<SourceRecord>, Closeable {
    final String dataset;
    final String file;
    private final long limit;
    private long produced;
    private SourceRecord next;

    SourceFileReader(String dataset, String file, long limit) {
        this.dataset = dataset;
        this.file = file;
        this.limit = limit;
    }

    /** The next record of the file, or {@code null} when it has no more. */
    abstract SourceRecord readNext() throws IOException;

    /** Where the reader is, e.g. {@code line 12}: named when reading fails. */
    abstract String position();

    /** Closes the underlying stream or parser. */
    abstract void closeSource() throws IOException;

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        if (produced >= limit) {
            close();
            return false;
        }
        try {
            next = readNext();
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("reading " + file + " at " + position() + ": " + e.getMessage(), e);
        }
        if (next == null) {
            close();
            return false;
        }
        produced++;
        return true;
    }

    @Override
    public SourceRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        SourceRecord r = next;
        next = null;
        return r;
    }

    @Override
    public void close() {
        try {
            closeSource();
        } catch (IOException e) {
            // Closing a stream we only read from: nothing is lost, and the records are already out.
        }
    }
}
