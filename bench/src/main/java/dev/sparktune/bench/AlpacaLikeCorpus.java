package dev.sparktune.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A synthetic instruction corpus with alpaca's shape: short instructions, an optional input (~40% of records),
 * log-normally distributed output lengths with a long tail (alpaca-cleaned averages ~170 Qwen3 tokens per record
 * with the chat template; this corpus is tuned to the same mean). Deterministic for a seed.
 */
final class AlpacaLikeCorpus {
    private static final String[] WORDS = ("the of and to in is was that for on as with by he at from his an were are "
                    + "which this be or has had not but what all when can there their we been if more one will would who so "
                    + "data model spark table token train learn value field record query result system write read value "
                    + "about other into some could them than then these only time after also new first because any well most "
                    + "example explain describe list compute summarize translate answer reason step number city river music "
                    + "language history science energy water people world market network program function class object")
            .split(" ");
    private static final ObjectMapper JSON = new ObjectMapper();

    private AlpacaLikeCorpus() {}

    static void write(Path file, int documents, long seed) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < documents; i++) {
                Map<String, String> record = new LinkedHashMap<>();
                record.put("instruction", sentence(random, 6 + random.nextInt(20)) + "?");
                record.put("input", random.nextInt(10) < 4 ? sentence(random, 5 + random.nextInt(60)) : "");
                int outputWords = (int) Math.min(900, Math.exp(4.1 + 0.9 * gaussian(random)));
                record.put("output", sentence(random, Math.max(1, outputWords)) + ".");
                out.write(JSON.writeValueAsString(record));
                out.write('\n');
            }
        }
    }

    private static String sentence(SplittableRandom random, int words) {
        StringBuilder text = new StringBuilder();
        for (int w = 0; w < words; w++) {
            if (w > 0) {
                text.append(random.nextInt(12) == 0 ? ", " : " ");
            }
            text.append(WORDS[random.nextInt(WORDS.length)]);
        }
        text.setCharAt(0, Character.toUpperCase(text.charAt(0)));
        return text.toString();
    }

    private static double gaussian(SplittableRandom random) {
        double u = random.nextDouble(Double.MIN_VALUE, 1.0);
        double v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
