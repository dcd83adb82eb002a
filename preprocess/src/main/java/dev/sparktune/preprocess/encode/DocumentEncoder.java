package dev.sparktune.preprocess.encode;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import dev.sparktune.preprocess.PreprocessException;
import dev.sparktune.preprocess.api.LabelOptions;
import dev.sparktune.preprocess.api.OverlongPolicy;
import dev.sparktune.preprocess.api.Stage;
import dev.sparktune.preprocess.conversation.Conversation;
import dev.sparktune.preprocess.reject.Reject;
import dev.sparktune.preprocess.reject.RejectReason;
import dev.sparktune.preprocess.source.Conversion;
import dev.sparktune.preprocess.source.DatasetSpec;
import dev.sparktune.preprocess.source.RecordConverter;
import dev.sparktune.preprocess.source.SourceRecord;
import dev.sparktune.preprocess.template.ChatTemplate;
import dev.sparktune.preprocess.template.LlamaFactoryTemplate;
import dev.sparktune.preprocess.template.RenderedConversation;
import dev.sparktune.preprocess.template.TemplateException;
import dev.sparktune.preprocess.template.TextSpan;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.OptionalInt;
import org.apache.spark.broadcast.Broadcast;

/**
 * Turns input records into documents or rejects: convert (format) → render (chat template) → tokenize (the model's
 * HF tokenizer, in batches) → labels (assistant spans, LLaMA-Factory cutoff). Serializable: built on the driver,
 * run per partition on executors.
 */
public final class DocumentEncoder implements Serializable {
    /** Records tokenized per native batch call: large enough to amortise JNI, small enough to stream. */
    static final int BATCH = 256;
    /** Rejects keep at most this much of the original record. */
    static final int MAX_RECORD_CHARS = 8192;

    private final Map<String, RecordConverter> convertersByDataset;
    private final Map<String, String> fileRoots; // dataset -> prefix its files' ids are relative to
    private final ChatTemplate template;
    /** Broadcast once per executor: tokenizer.json is 10+ MB and would otherwise ride in every task. */
    private final Broadcast<TokenizerFiles> tokenizer;

    private final Stage stage;
    private final LabelOptions labels;
    private final long seed;
    private final int bosId;
    private final int eosId;
    /** The template has LLaMA-Factory's efficient_eos ({@link LlamaFactoryTemplate#efficientEos}). */
    private final boolean efficientEos;

    /**
     * @param template the chat template; ignored for {@link Stage#PT}, which tokenizes raw text
     */
    public DocumentEncoder(
            Map<String, RecordConverter> convertersByDataset,
            Map<String, String> fileRoots,
            ChatTemplate template,
            Broadcast<TokenizerFiles> tokenizer,
            SpecialTokens special,
            Stage stage,
            LabelOptions labels,
            long seed) {
        this.convertersByDataset = Map.copyOf(convertersByDataset);
        this.fileRoots = Map.copyOf(fileRoots);
        this.template = template;
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.stage = Objects.requireNonNull(stage, "stage");
        this.labels = Objects.requireNonNull(labels, "labels");
        this.seed = seed;
        this.bosId = special.bosId();
        this.eosId = special.eosId();
        this.efficientEos = stage != Stage.PT && template instanceof LlamaFactoryTemplate lf && lf.efficientEos();
        if (stage != Stage.PT) {
            Objects.requireNonNull(template, "an " + stage + " encoder needs a chat template");
            if (template instanceof LlamaFactoryTemplate lf && lf.writesEos() && eosId < 0) {
                throw new PreprocessException("template '" + lf.name() + "' writes the tokenizer's eos_token, but "
                        + "tokenizer_config.json names no eos_token that tokenizer.json knows; use a tokenizer "
                        + "with one or template = auto");
            }
            if (template instanceof LlamaFactoryTemplate lf && lf.efficientEos() && labels.trainOnPrompt()) {
                // get_template_and_fix_tokenizer refuses it too: the prompt's first token carries the eos label
                throw new PreprocessException("template '" + lf.name() + "' has LLaMA-Factory's efficient_eos, "
                        + "which LLaMA-Factory does not support with train_on_prompt; set data.train_on_prompt = "
                        + "false or use template = auto");
            }
        } else if (eosId < 0) {
            throw new PreprocessException("stage pt appends the tokenizer's eos_token after each text, but "
                    + "tokenizer_config.json names no eos_token that tokenizer.json knows");
        }
    }

    /** Encodes a partition lazily, batch by batch; exactly one outcome per input record, in input order. */
    public Iterator<EncodeOutcome> encode(Iterator<SourceRecord> records) {
        HuggingFaceTokenizer hf = TokenizerCache.get(tokenizer.value());
        return new Iterator<>() {
            private Iterator<EncodeOutcome> batch = List.<EncodeOutcome>of().iterator();

            @Override
            public boolean hasNext() {
                while (!batch.hasNext() && records.hasNext()) {
                    batch = encodeBatch(hf, records).iterator();
                }
                return batch.hasNext();
            }

            @Override
            public EncodeOutcome next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return batch.next();
            }
        };
    }

    /** What the chat template made of one conversation, before tokenization. */
    private sealed interface Templated permits Rendered, Elements {}

    /** A Jinja template's text with its assistant spans: tokenized whole, then split at the spans. */
    private record Rendered(RenderedConversation conversation) implements Templated {}

    /** A LLaMA-Factory template's elements per turn: each text element tokenized on its own, as LLaMA-Factory does. */
    private record Elements(List<LlamaFactoryTemplate.Turn> turns) implements Templated {}

    /** A preference record templated twice: the prompt with its chosen response, and with its rejected one. */
    private record TemplatedPair(Templated chosen, Templated rejected) {}

    private List<EncodeOutcome> encodeBatch(HuggingFaceTokenizer hf, Iterator<SourceRecord> records) {
        List<EncodeOutcome> outcomes = new ArrayList<>(BATCH);
        List<Integer> pending = new ArrayList<>(BATCH); // outcome slots waiting for tokenization
        List<SourceRecord> pendingRecords = new ArrayList<>(BATCH);
        List<Object> templated = new ArrayList<>(BATCH); // Templated or TemplatedPair
        List<String> texts = new ArrayList<>(BATCH);
        while (outcomes.size() < BATCH && records.hasNext()) {
            SourceRecord record = records.next();
            Object prepared = prepare(record);
            if (prepared instanceof Reject reject) {
                outcomes.add(new EncodeOutcome.Rejected(reject));
                continue;
            }
            pending.add(outcomes.size());
            pendingRecords.add(record);
            templated.add(prepared);
            outcomes.add(null);
            if (prepared instanceof TemplatedPair pair) {
                addTexts(pair.chosen(), texts);
                addTexts(pair.rejected(), texts);
            } else {
                addTexts((Templated) prepared, texts);
            }
        }
        if (!pending.isEmpty()) {
            Encoding[] encodings = hf.batchEncode(texts.toArray(String[]::new), false, false);
            int[] at = {0};
            for (int i = 0; i < pending.size(); i++) {
                EncodeOutcome outcome;
                if (templated.get(i) instanceof TemplatedPair pair) {
                    List<TurnPair> chosen = pairs(pair.chosen(), encodings, at);
                    List<TurnPair> rejected = pairs(pair.rejected(), encodings, at);
                    outcome = labelPair(pendingRecords.get(i), chosen, rejected);
                } else {
                    Templated t = (Templated) templated.get(i);
                    outcome = label(pendingRecords.get(i), pairs(t, encodings, at), t instanceof Rendered);
                }
                outcomes.set(pending.get(i), outcome);
            }
        }
        return outcomes;
    }

    /** The texts a templated conversation needs tokenized, in the order {@link #pairs} reads their encodings. */
    private static void addTexts(Templated templated, List<String> texts) {
        if (templated instanceof Rendered r) {
            texts.add(r.conversation().text());
            return;
        }
        for (LlamaFactoryTemplate.Turn turn : ((Elements) templated).turns()) {
            for (LlamaFactoryTemplate.Element e : turn.prompt()) {
                if (e instanceof LlamaFactoryTemplate.Text t) {
                    texts.add(t.text());
                }
            }
            for (LlamaFactoryTemplate.Element e : turn.response()) {
                if (e instanceof LlamaFactoryTemplate.Text t) {
                    texts.add(t.text());
                }
            }
        }
    }

    /** The (source, target) pairs of a templated conversation from its encodings, starting at {@code at[0]}. */
    private List<TurnPair> pairs(Templated templated, Encoding[] encodings, int[] at) {
        if (templated instanceof Rendered r) {
            Encoding encoding = encodings[at[0]++];
            return pairs(r.conversation(), encoding.getIds(), encoding.getCharTokenSpans());
        }
        List<TurnPair> pairs = new ArrayList<>();
        for (LlamaFactoryTemplate.Turn turn : ((Elements) templated).turns()) {
            pairs.add(new TurnPair(ids(turn.prompt(), encodings, at), ids(turn.response(), encodings, at)));
        }
        return pairs;
    }

    /**
     * Template._convert_elements_to_ids: each text's ids in turn, the bos / eos slots as the tokenizer's ids (a bos
     * slot adds nothing when the tokenizer has no bos token, as in LLaMA-Factory).
     */
    private int[] ids(List<LlamaFactoryTemplate.Element> elements, Encoding[] encodings, int[] at) {
        IntList ids = new IntList();
        for (LlamaFactoryTemplate.Element e : elements) {
            if (e instanceof LlamaFactoryTemplate.Text) {
                for (long id : encodings[at[0]++].getIds()) {
                    ids.add(Math.toIntExact(id));
                }
            } else if (e == LlamaFactoryTemplate.Special.BOS) {
                if (bosId >= 0) {
                    ids.add(bosId);
                }
            } else {
                ids.add(eosId);
            }
        }
        return ids.drain();
    }

    /** Conversion and templating: a Templated, a TemplatedPair, or a Reject. */
    private Object prepare(SourceRecord record) {
        if (record.readError() != null) {
            return reject(record, record.readError(), record.readErrorMessage());
        }
        RecordConverter converter = convertersByDataset.get(record.dataset());
        if (converter == null) {
            throw new IllegalStateException("no converter for dataset " + record.dataset());
        }
        Conversion conversion = converter.convert(record);
        if (conversion instanceof Conversion.Failed failed) {
            return reject(record, failed.reason(), failed.message());
        }
        if (conversion instanceof Conversion.Paired paired) {
            Object chosen = template(record, paired.chosen(), true);
            if (chosen instanceof Reject) {
                return chosen;
            }
            Object rejected = template(record, paired.rejected(), true);
            return rejected instanceof Reject ? rejected : new TemplatedPair((Templated) chosen, (Templated) rejected);
        }
        Conversation conversation = ((Conversion.Converted) conversion).conversation();
        if (stage == Stage.PT) {
            String text = conversation.messages().get(0).content();
            return new Rendered(new RenderedConversation(text, List.of(new TextSpan(0, text.length()))));
        }
        return template(record, conversation, false);
    }

    /**
     * The chat template's rendering or elements of a conversation, or a Reject saying why it failed.
     *
     * @param preference a preference document: LLaMA-Factory's pairwise processor encodes it with
     *     {@code encode_oneturn}, which for a reasoning template drops the earlier responses' thoughts and adds the
     *     empty thought to the last response only, as {@code encode_multiturn} does when discarding history thoughts
     */
    private Object template(SourceRecord record, Conversation conversation, boolean preference) {
        try {
            return template instanceof LlamaFactoryTemplate lf
                    ? new Elements(lf.turns(conversation, preference || labels.maskHistory()))
                    : new Rendered(template.render(conversation));
        } catch (TemplateException | IllegalArgumentException e) {
            return reject(
                    record,
                    RejectReason.TEMPLATE_ERROR,
                    "chat template '" + template.name() + "' failed: " + e.getMessage());
        } catch (RuntimeException e) {
            return reject(record, RejectReason.TEMPLATE_ERROR, "chat template '" + template.name() + "' failed: " + e);
        }
    }

    /**
     * @param rendered the pairs come from a rendered text: a last pair without target is text the template writes
     *     after the final turn ({@link SupervisedLabels#build(List, LabelOptions)}); a LLaMA-Factory template's
     *     pairs are all turns
     */
    private EncodeOutcome label(SourceRecord record, List<TurnPair> pairs, boolean rendered) {
        if (stage == Stage.PT) {
            int[] ids = pairs.get(0).target();
            int[] tokens = Arrays.copyOf(ids, ids.length + 1);
            tokens[ids.length] = eosId;
            return accepted(record, tokens, tokens.clone(), false);
        }
        int total = efficientEos ? 1 : 0;
        for (TurnPair pair : pairs) {
            total += pair.source().length + pair.target().length;
        }
        if (total > labels.cutoffLen() && labels.overlong() == OverlongPolicy.REJECT) {
            return new EncodeOutcome.Rejected(reject(
                    record,
                    RejectReason.TOO_LONG,
                    total + " tokens exceed " + "cutoff_len " + labels.cutoffLen()
                            + "; raise data.cutoff_len or set data.overlong = truncate"));
        }
        SupervisedLabels.Labeled labeled = rendered
                ? SupervisedLabels.build(pairs, labels)
                : SupervisedLabels.build(
                        pairs, new int[0], labels, efficientEos ? OptionalInt.of(eosId) : OptionalInt.empty());
        EncodeOutcome outcome = accepted(record, labeled.inputIds(), labeled.labels(), labeled.truncated());
        if (((EncodeOutcome.Accepted) outcome).document().supervisedTokens() == 0) {
            String why = labeled.truncated()
                    ? "every assistant token was cut by cutoff_len " + labels.cutoffLen() + " (" + total
                            + " tokens); raise data.cutoff_len"
                    : "the conversation has no assistant tokens to learn from";
            return new EncodeOutcome.Rejected(reject(record, RejectReason.NO_SUPERVISED_TOKENS, why));
        }
        return outcome;
    }

    /**
     * A preference pair as LLaMA-Factory's pairwise processor builds it: the prompt is everything before the last
     * assistant turn (earlier turns included, unsupervised); each document is the prompt and one response, labels on
     * the response; {@code infer_seqlen(prompt, longer response, cutoff_len)} cuts the prompt and both responses
     * alike. Text the template writes after the last assistant turn's span stays with the response, unsupervised,
     * as {@link SupervisedLabels} keeps it for SFT (what the span covers, the end-of-turn token and newline of
     * Qwen3's template included, is the template's).
     */
    private EncodeOutcome labelPair(SourceRecord record, List<TurnPair> chosenPairs, List<TurnPair> rejectedPairs) {
        int[][] chosen = withEfficientEos(promptAndResponse(chosenPairs));
        int[][] rejected = withEfficientEos(promptAndResponse(rejectedPairs));
        if (chosen == null || rejected == null) {
            return new EncodeOutcome.Rejected(reject(
                    record,
                    RejectReason.TEMPLATE_ERROR,
                    "chat template '"
                            + template.name() + "' placed no assistant turn for the "
                            + (chosen == null ? "chosen" : "rejected") + " response"));
        }
        if (!Arrays.equals(chosen[0], rejected[0])) {
            return new EncodeOutcome.Rejected(reject(
                    record,
                    RejectReason.TEMPLATE_ERROR,
                    "chat template '"
                            + template.name() + "' renders the prompt differently before the chosen and the rejected "
                            + "response; a pair must share its prompt"));
        }
        int[] prompt = chosen[0];
        int longer = Math.max(chosen[1].length, rejected[1].length);
        if (prompt.length + longer > labels.cutoffLen() && labels.overlong() == OverlongPolicy.REJECT) {
            return new EncodeOutcome.Rejected(reject(
                    record,
                    RejectReason.TOO_LONG,
                    "the prompt (" + prompt.length
                            + " tokens) with the longer response (" + longer + ") exceeds cutoff_len "
                            + labels.cutoffLen()
                            + "; raise data.cutoff_len or set data.overlong = truncate"));
        }
        int[] lens = SupervisedLabels.inferSeqlen(prompt.length, longer, labels.cutoffLen());
        boolean truncated = lens[0] < prompt.length || lens[1] < longer;
        int[][] docC = document(prompt, chosen, lens);
        int[][] docR = document(prompt, rejected, lens);
        for (int[][] doc : List.of(docC, docR)) {
            if (Arrays.stream(doc[1]).allMatch(l -> l == SupervisedLabels.IGNORE_INDEX)) {
                return new EncodeOutcome.Rejected(reject(
                        record,
                        RejectReason.NO_SUPERVISED_TOKENS,
                        (doc == docC ? "the chosen" : "the rejected") + " response keeps no token after cutoff_len "
                                + labels.cutoffLen() + " (prompt " + prompt.length
                                + " tokens); raise data.cutoff_len"));
            }
        }
        return accepted(record, concat(docC[0], docR[0]), concat(docC[1], docR[1]), truncated, true, docC[0].length);
    }

    /**
     * {prompt ids, response ids, response labels} of one rendering: the prompt up to the last assistant turn's
     * start, that turn (and any text after it) as the response; null without an assistant turn.
     */
    private static int[][] promptAndResponse(List<TurnPair> pairs) {
        int last = pairs.size() - 1;
        int[] suffix = new int[0];
        if (last > 0 && pairs.get(last).target().length == 0) {
            suffix = pairs.get(last).source();
            last--;
        }
        if (last < 0 || pairs.get(last).target().length == 0) {
            return null;
        }
        IntList prompt = new IntList();
        for (int i = 0; i < last; i++) {
            prompt.addAll(pairs.get(i).source());
            prompt.addAll(pairs.get(i).target());
        }
        prompt.addAll(pairs.get(last).source());
        int[] target = pairs.get(last).target();
        int[] response = concat(target, suffix);
        int[] responseLabels = response.clone();
        Arrays.fill(responseLabels, target.length, response.length, SupervisedLabels.IGNORE_INDEX);
        return new int[][] {prompt.drain(), response, responseLabels};
    }

    /**
     * A template with efficient_eos ends each response with the eos, labelled, before cutoff_len cuts it
     * (PairwiseDatasetProcessor._encode_data_example); null and other templates' responses pass unchanged.
     */
    private int[][] withEfficientEos(int[][] promptAndResponse) {
        if (promptAndResponse == null || !efficientEos) {
            return promptAndResponse;
        }
        int[] eos = {eosId};
        return new int[][] {promptAndResponse[0], concat(promptAndResponse[1], eos), concat(promptAndResponse[2], eos)};
    }

    /** {ids, labels}: the prompt cut to lens[0], unsupervised, then the response cut to lens[1]. */
    private static int[][] document(int[] prompt, int[][] promptAndResponse, int[] lens) {
        int[] source = Arrays.copyOf(prompt, lens[0]);
        int n = Math.min(lens[1], promptAndResponse[1].length);
        int[] ids = concat(source, Arrays.copyOf(promptAndResponse[1], n));
        return new int[][] {ids, concat(SupervisedLabels.ignored(source.length), Arrays.copyOf(promptAndResponse[2], n))
        };
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Splits the token sequence into (source, target) pairs: a token belongs to assistant turn k's target when it
     * starts inside that turn's span. Tokenizer offsets are in code points, template spans in UTF-16 chars.
     */
    static List<TurnPair> pairs(RenderedConversation rendered, long[] ids, CharSpan[] tokenSpans) {
        List<TextSpan> spans = codePointSpans(rendered);
        List<TurnPair> pairs = new ArrayList<>(spans.size() + 1);
        IntList source = new IntList();
        IntList target = new IntList();
        int turn = 0;
        int lastStart = 0;
        for (int i = 0; i < ids.length; i++) {
            int start = tokenSpans[i] == null ? lastStart : tokenSpans[i].getStart();
            lastStart = start;
            while (turn < spans.size() && start >= spans.get(turn).end()) {
                pairs.add(new TurnPair(source.drain(), target.drain()));
                turn++;
            }
            boolean inTarget = turn < spans.size() && spans.get(turn).contains(start);
            (inTarget ? target : source).add(Math.toIntExact(ids[i]));
        }
        while (turn < spans.size()) {
            pairs.add(new TurnPair(source.drain(), target.drain()));
            turn++;
        }
        if (source.size() > 0) {
            pairs.add(new TurnPair(source.drain(), new int[0]));
        }
        return pairs;
    }

    private static List<TextSpan> codePointSpans(RenderedConversation rendered) {
        String text = rendered.text();
        if (text.length() == text.codePointCount(0, text.length())) {
            return rendered.assistantSpans();
        }
        List<TextSpan> converted = new ArrayList<>(rendered.assistantSpans().size());
        for (TextSpan span : rendered.assistantSpans()) {
            converted.add(new TextSpan(text.codePointCount(0, span.start()), text.codePointCount(0, span.end())));
        }
        return converted;
    }

    private EncodeOutcome accepted(SourceRecord record, int[] inputIds, int[] labelIds, boolean truncated) {
        return accepted(record, inputIds, labelIds, truncated, false, inputIds.length);
    }

    /** @param pair input_ids hold a chosen document of {@code chosenLength} tokens, then the rejected one */
    private EncodeOutcome accepted(
            SourceRecord record, int[] inputIds, int[] labelIds, boolean truncated, boolean pair, int chosenLength) {
        return new EncodeOutcome.Accepted(new EncodedDocument(
                docId(record, fileRoots.get(record.dataset())),
                record.dataset(),
                contentHash(inputIds, seed),
                inputIds,
                labelIds,
                truncated,
                pair,
                chosenLength));
    }

    private static Reject reject(SourceRecord record, RejectReason reason, String message) {
        String text = record.text();
        if (text != null && text.length() > MAX_RECORD_CHARS) {
            text = text.substring(0, MAX_RECORD_CHARS) + "…";
        }
        return new Reject(record.dataset(), record.file(), record.locator(), text, reason, message);
    }

    /**
     * Per dataset, the directory its files' document ids are relative to: the deepest directory holding all of the
     * dataset's files.
     */
    public static Map<String, String> fileRoots(List<DatasetSpec> specs) {
        Map<String, String> roots = new HashMap<>();
        for (DatasetSpec spec : specs) {
            String prefix = spec.files().get(0);
            for (String file : spec.files()) {
                int n = 0;
                while (n < prefix.length() && n < file.length() && prefix.charAt(n) == file.charAt(n)) {
                    n++;
                }
                prefix = prefix.substring(0, n);
            }
            roots.put(spec.name(), prefix.substring(0, prefix.lastIndexOf('/') + 1));
        }
        return roots;
    }

    /**
     * The first 8 bytes of SHA-256(dataset, file below {@code root}, locator): stable across runs, clusters,
     * partitionings and the place the data is stored, so the same data packs into the same rows, in the same order,
     * wherever it lives (the rejects table keeps the full path).
     */
    static long docId(SourceRecord record, String root) {
        String file = record.file();
        String key = root != null && !root.isEmpty() && file.startsWith(root) ? file.substring(root.length()) : file;
        MessageDigest sha = sha256();
        sha.update(record.dataset().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(key.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(ByteBuffer.allocate(Long.BYTES).putLong(record.locator()).array());
        return ByteBuffer.wrap(sha.digest()).getLong();
    }

    /** 64-bit hash of the token ids, salted with the seed (splitmix64 finaliser per token). */
    static long contentHash(int[] tokens, long seed) {
        long h = mix(seed ^ 0x9E3779B97F4A7C15L);
        for (int token : tokens) {
            h = mix(h ^ (token & 0xFFFFFFFFL));
        }
        return mix(h ^ tokens.length);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** A growable int buffer, so token lists avoid boxing. */
    private static final class IntList {
        private int[] values = new int[64];
        private int size;

        void add(int value) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        int size() {
            return size;
        }

        void addAll(int[] more) {
            for (int v : more) {
                add(v);
            }
        }

        int[] drain() {
            int[] out = Arrays.copyOf(values, size);
            size = 0;
            return out;
        }
    }
}
