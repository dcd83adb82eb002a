package dev.sparktune.preprocess.source;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sparktune.preprocess.reject.RejectReason;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

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
final class JsonArrayReader extends SourceFileReader {
    private final JsonParser parser;

    private boolean started;
    private boolean done;
    private long index;

    JsonArrayReader(String dataset, String file, InputStream in, long limit) {
        super(dataset, file, limit);
        try {
            this.parser = RecordJson.STREAMING.createParser(in);
        } catch (IOException e) {
            throw new UncheckedIOException("opening " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    SourceRecord readNext() throws IOException {
        if (done) {
            return null;
        }
        try {
            return advance();
        } catch (JsonProcessingException e) {
            return broken(e);
        }
    }

    @Override
    String position() {
        return "element " + index;
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
                return malformed(file + " has content after its array (" + after.asString() + " at "
                        + where(parser.currentTokenLocation()) + "); remove it");
            }
            return null;
        }
        if (token == null) {
            done = true;
            return malformed(file + " ends inside its array, before element " + index + " ("
                    + where(parser.currentLocation()) + "): the file is truncated");
        }
        JsonNode element = parser.readValueAsTree();
        return SourceRecord.of(dataset, file, index++, element.toString());
    }

    /** The array's structure is broken at the element being read: nothing after it can be read. */
    private SourceRecord malformed(String message) {
        return SourceRecord.failed(dataset, file, index, null, RejectReason.MALFORMED_JSON, message);
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
    void closeSource() throws IOException {
        parser.close();
    }
}
