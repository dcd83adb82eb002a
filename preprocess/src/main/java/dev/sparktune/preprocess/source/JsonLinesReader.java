package dev.sparktune.preprocess.source;

import dev.sparktune.preprocess.reject.RejectReason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a JSON-lines stream record by record, lazily. Lines are split on {@code \n} (a trailing {@code \r} is
 * dropped; a UTF-8 BOM at the start of the file is skipped) and decoded strictly as UTF-8: a line with invalid
 * bytes becomes an INVALID_UTF8 record naming the line and byte (its text decoded with replacement characters, for
 * the rejects table). Blank (whitespace-only) lines are skipped and counted nowhere: they are not records. The JSON
 * itself is not parsed here; the converters do that. Closes the stream when exhausted or on {@link #close()}.
 */
final class JsonLinesReader extends SourceFileReader {
    private final InputStream in;
    private final CharsetDecoder strict = StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);

    private final byte[] chunk = new byte[1 << 16];
    private int chunkPos;
    private int chunkEnd;
    private byte[] line = new byte[8192];
    private int length;
    private long lineNumber;
    private boolean eof;

    JsonLinesReader(String dataset, String file, InputStream in, long limit) {
        super(dataset, file, limit);
        this.in = in;
    }

    @Override
    SourceRecord readNext() throws IOException {
        while (readLine()) {
            if (!isBlank()) {
                return toRecord();
            }
        }
        return null;
    }

    @Override
    String position() {
        return "line " + lineNumber;
    }

    /** Reads the next physical line into {@code line[0, length)}; false at end of stream. */
    private boolean readLine() throws IOException {
        if (eof) {
            return false;
        }
        length = 0;
        while (true) {
            if (chunkPos == chunkEnd) {
                chunkEnd = in.read(chunk, 0, chunk.length);
                chunkPos = 0;
                if (chunkEnd <= 0) {
                    chunkEnd = 0;
                    eof = true;
                    if (length == 0) {
                        return false;
                    }
                    break;
                }
            }
            int nl = chunkPos;
            while (nl < chunkEnd && chunk[nl] != '\n') {
                nl++;
            }
            append(chunk, chunkPos, nl - chunkPos);
            boolean found = nl < chunkEnd;
            chunkPos = found ? nl + 1 : nl;
            if (found) {
                break;
            }
        }
        lineNumber++;
        if (length > 0 && line[length - 1] == '\r') {
            length--;
        }
        return true;
    }

    private void append(byte[] src, int from, int n) {
        if (length + n > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, length + n));
        }
        System.arraycopy(src, from, line, length, n);
        length += n;
    }

    private boolean isBlank() {
        int start = startOffset();
        for (int i = start; i < length; i++) {
            byte c = line[i];
            if (c != ' ' && c != '\t' && c != '\r') {
                return false;
            }
        }
        return true;
    }

    /** Skips a UTF-8 byte-order mark on the first line. */
    private int startOffset() {
        return lineNumber == 1
                        && length >= 3
                        && (line[0] & 0xff) == 0xEF
                        && (line[1] & 0xff) == 0xBB
                        && (line[2] & 0xff) == 0xBF
                ? 3
                : 0;
    }

    private SourceRecord toRecord() {
        int start = startOffset();
        ByteBuffer bytes = ByteBuffer.wrap(line, start, length - start);
        CharBuffer chars = CharBuffer.allocate(length - start);
        strict.reset();
        CoderResult result = strict.decode(bytes, chars, true);
        if (!result.isError()) {
            result = strict.flush(chars);
        }
        if (result.isError()) {
            int at = bytes.position() - start;
            String lenient = new String(line, start, length - start, StandardCharsets.UTF_8);
            return SourceRecord.failed(
                    dataset,
                    file,
                    lineNumber,
                    lenient,
                    RejectReason.INVALID_UTF8,
                    "line " + lineNumber + " of " + file + " is not valid UTF-8: byte " + at + " of the line (0x"
                            + String.format("%02X", line[start + at] & 0xff) + ") starts an invalid sequence; "
                            + "re-encode the file as UTF-8");
        }
        chars.flip();
        return SourceRecord.of(dataset, file, lineNumber, chars.toString());
    }

    @Override
    void closeSource() throws IOException {
        in.close();
    }
}
