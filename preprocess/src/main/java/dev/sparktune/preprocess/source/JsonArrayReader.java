package dev.sparktune.preprocess.source;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparktune.preprocess.reject.RejectReason;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * Streams the elements of a file holding one JSON array, one record per element (locator = 0-based index), without
 * holding the file in memory. Each element is re-serialized compactly as the record's text.
 * <ul>
 *   <li>A file that is not an array (e.g. one object) is one WRONG_TYPE record for the whole file (locator -1).</li>
 *   <li>Invalid JSON part-way: the elements before it are records, then one MALFORMED_JSON record (locator = the
 *       index of the element being read) naming the byte offset, line and column; the rest cannot be resynchronised
 *       and is not read. Invalid UTF-8 is reported the same way with INVALID_UTF8.</li>
 *   <li>Elements that are not objects are passed on as records: the converter rejects them (WRONG_TYPE) one by
 *       one, so the good elements around them still count.</li>
 * </ul>
 */
final class JsonArrayReader implements Iterator<SourceRecord>, Closeable {
    private final String dataset;
    private final String file;
    private final JsonParser parser;
    private final long limit;

    private boolean started;
    private boolean done;
    private long index;
    private SourceRecord next;

    JsonArrayReader(String dataset, String file, InputStream in, long limit) {
        this.dataset = dataset;
        this.file = file;
        this.limit = limit;
        try {
            this.parser = RecordJson.STREAMING.createParser(in);
        } catch (IOException e) {
            throw new UncheckedIOException("opening " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        if (done || index >= limit) {
            close();
            return false;
        }
        try {
            next = advance();
        } catch (JsonProcessingException e) {
            next = broken(e);
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("reading " + file + " at element " + index + ": " + e.getMessage(), e);
        }
        if (next == null) {
            close();
        }
        return next != null;
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

    private SourceRecord advance() throws IOException {
        if (!started) {
            started = true;
            JsonToken first = parser.nextToken();
            if (first == null) {
                done = true;
                return null;
            }
            if (first != JsonToken.START_ARRAY) {
                done = true;
                return SourceRecord.failed(
                        dataset,
                        file,
                        -1,
                        null,
                        RejectReason.WRONG_TYPE,
                        file
                                + " is not a JSON array of records: it starts with " + first.asString()
                                + "; a .json file must hold one array of objects, or one object per line");
            }
        }
        JsonToken token = parser.nextToken();
        if (token == JsonToken.END_ARRAY) {
            done = true;
            JsonToken after = parser.nextToken();
            if (after != null) {
                return SourceRecord.failed(
                        dataset,
                        file,
                        index,
                        null,
                        RejectReason.MALFORMED_JSON,
                        file
                                + " has content after its array (" + after.asString() + " at "
                                + where(parser.currentTokenLocation()) + "); remove it");
            }
            return null;
        }
        if (token == null) {
            done = true;
            return SourceRecord.failed(
                    dataset,
                    file,
                    index,
                    null,
                    RejectReason.MALFORMED_JSON,
                    file
                            + " ends inside its array, before element " + index + " (" + where(parser.currentLocation())
                            + "): the file is truncated");
        }
        JsonNode element = parser.readValueAsTree();
        return SourceRecord.of(dataset, file, index++, element.toString());
    }

    private SourceRecord broken(JsonProcessingException e) {
        done = true;
        String detail = RecordJson.firstLine(e.getOriginalMessage());
        RejectReason reason =
                detail.startsWith("Invalid UTF-8") ? RejectReason.INVALID_UTF8 : RejectReason.MALFORMED_JSON;
        return SourceRecord.failed(
                dataset,
                file,
                index,
                null,
                reason,
                "element " + index + " of " + file
                        + " is not valid " + (reason == RejectReason.INVALID_UTF8 ? "UTF-8" : "JSON") + " at "
                        + where(e.getLocation()) + ": " + detail
                        + "; the elements before it were read, the rest of the "
                        + "file was not: fix the file");
    }

    private static String where(JsonLocation at) {
        if (at == null) {
            return "an unknown position";
        }
        return "byte offset " + at.getByteOffset() + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
    }

    @Override
    public void close() {
        try {
            parser.close();
        } catch (IOException e) {
            // Closing a stream we only read from: nothing is lost, and the records are already out.
        }
    }
}
