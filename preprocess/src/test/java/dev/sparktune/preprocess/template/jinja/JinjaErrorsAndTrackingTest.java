package dev.sparktune.preprocess.template.jinja;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparktune.preprocess.ShippedToExecutor;
import dev.sparktune.preprocess.template.TemplateException;
import dev.sparktune.preprocess.template.TextSpan;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Error reporting (line, column, construct), raise_exception, output ownership tracking and generation blocks. */
class JinjaErrorsAndTrackingTest {

    private static String render(String template, Map<String, Object> context) {
        return JinjaTemplate.parse("t", template).render(context);
    }

    @Test
    void raiseExceptionCarriesTheTemplatesMessage() {
        TemplateException e = assertThrows(
                TemplateException.class,
                () -> render(
                        "{% if messages|length == 0 %}{{ raise_exception('No messages provided.') }}{% endif %}",
                        Map.of("messages", List.of())));
        assertInstanceOf(TemplateRaisedError.class, e);
        assertEquals("No messages provided.", e.getMessage());
    }

    @Test
    void attributeOfUndefinedFailsWithLineColumnAndConstruct() {
        JinjaError e = assertThrows(JinjaError.class, () -> render("line one\n{{ x.y }}", Map.of()));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        assertTrue(e.getMessage().contains("attribute '.y'"), e.getMessage());
        assertTrue(e.getMessage().contains("'x' is undefined"), e.getMessage());
    }

    @Test
    void missingKeyIsUndefinedButGoingDeeperFails() {
        assertEquals("", render("{{ d.a }}", Map.of("d", Map.of())));
        JinjaError e = assertThrows(JinjaError.class, () -> render("{{ d.a.b }}", Map.of("d", Map.of())));
        assertTrue(e.getMessage().contains("'dict object' has no attribute 'a'"), e.getMessage());
    }

    @Test
    void typeErrorsNameTheOperatorAndPosition() {
        JinjaError e = assertThrows(JinjaError.class, () -> render("ok\n  {{ 'a' + 1 }}", Map.of()));
        assertEquals(2, e.line());
        assertEquals(10, e.column());
        assertTrue(e.getMessage().contains("operator '+'"), e.getMessage());
        assertTrue(e.getMessage().contains("can only concatenate str (not \"int\") to str"), e.getMessage());
    }

    @Test
    void unknownFilterAndTestAreNamed() {
        JinjaError f = assertThrows(JinjaError.class, () -> render("{{ 1 | frobnicate }}", Map.of()));
        assertTrue(f.getMessage().contains("filter 'frobnicate'"), f.getMessage());
        JinjaError t = assertThrows(JinjaError.class, () -> render("{{ 1 is frobnicated }}", Map.of()));
        assertTrue(t.getMessage().contains("test 'frobnicated'"), t.getMessage());
    }

    @Test
    void syntaxErrorsNameTheLine() {
        JinjaError unclosed = assertThrows(JinjaError.class, () -> JinjaTemplate.parse("t", "a\n{% if x %}\nb"));
        assertTrue(unclosed.getMessage().contains("endif"), unclosed.getMessage());
        JinjaError bad = assertThrows(JinjaError.class, () -> JinjaTemplate.parse("t", "a\nb\n{{ 1 + }}"));
        assertEquals(3, bad.line());
        JinjaError unknown = assertThrows(JinjaError.class, () -> JinjaTemplate.parse("t", "{% include 'x' %}"));
        assertTrue(unknown.getMessage().contains("'include'"), unknown.getMessage());
    }

    @Test
    void runawayMacroRecursionIsAnErrorNotAStackOverflow() {
        JinjaError e = assertThrows(
                JinjaError.class, () -> render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", Map.of()));
        assertTrue(e.getMessage().contains("RecursionError"), e.getMessage());
    }

    @Test
    void namespaceIsTheOnlyAssignableObject() {
        JinjaError e = assertThrows(JinjaError.class, () -> render("{% set d = {} %}{% set d.x = 1 %}", Map.of()));
        assertTrue(e.getMessage().contains("non-namespace"), e.getMessage());
    }

    @Test
    void mutatingMethodsAreRefusedLikeTheImmutableSandbox() {
        JinjaError e =
                assertThrows(JinjaError.class, () -> render("{{ l.append(1) }}", Map.of("l", new ArrayList<>())));
        assertTrue(e.getMessage().contains("SecurityError"), e.getMessage());
    }

    private static List<Object> messages() {
        List<Object> messages = new ArrayList<>();
        for (String[] m : new String[][] {{"user", "hi"}, {"assistant", "yo"}, {"user", "again"}}) {
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", m[0]);
            msg.put("content", m[1]);
            messages.add(msg);
        }
        return messages;
    }

    @Test
    void outputIsOwnedByTheMessageWhoseIterationWroteIt() {
        List<Object> messages = messages();
        JinjaTemplate t = JinjaTemplate.parse(
                "t", "<s>{% for m in messages %}[{% for c in m.content %}{{ c }}{% endfor %}]{% endfor %}</s>");
        JinjaTemplate.Rendering r = t.renderTracked(Map.of("messages", messages), messages);
        assertEquals("<s>[hi][yo][again]</s>", r.text());
        int[] expected = new int[r.text().length()];
        Arrays.fill(expected, -1);
        Arrays.fill(expected, 3, 7, 0);
        Arrays.fill(expected, 7, 11, 1);
        Arrays.fill(expected, 11, 18, 2);
        assertArrayEquals(expected, r.owners());
    }

    @Test
    void slicedCopiesStillOwnTheirMessagesAndEqualButDistinctDictsDoNot() {
        List<Object> messages = messages();
        JinjaTemplate t = JinjaTemplate.parse("t", "{% for m in messages[1:] %}{{ m.content }}{% endfor %}");
        JinjaTemplate.Rendering r = t.renderTracked(Map.of("messages", messages), messages);
        assertEquals("yoagain", r.text());
        assertEquals(1, r.owners()[0]);
        assertEquals(2, r.owners()[2]);
        List<Object> lookalikes = messages();
        JinjaTemplate.Rendering other = t.renderTracked(Map.of("messages", lookalikes), messages);
        assertEquals(-1, other.owners()[0]);
    }

    @Test
    void generationBlocksRecordTheirSpans() {
        List<Object> messages = messages();
        JinjaTemplate t = JinjaTemplate.parse(
                "t",
                "{% for m in messages %}{% if m.role == 'assistant' %}"
                        + "A:{% generation %}{{ m.content }}!{% endgeneration %}{% else %}U:{{ m.content }}{% endif %}"
                        + "{% endfor %}");
        assertTrue(t.hasGenerationBlocks());
        JinjaTemplate.Rendering r = t.renderTracked(Map.of("messages", messages), messages);
        assertEquals("U:hiA:yo!U:again", r.text());
        assertEquals(List.of(new TextSpan(6, 9)), r.generationSpans());
    }

    @Test
    void strftimeNowFormatsTheLocalDate() {
        LocalDate before = LocalDate.now();
        String out = render("{{ strftime_now('%Y-%m-%d') }}|{{ strftime_now('%d %b %Y') }}", Map.of());
        LocalDate after = LocalDate.now();
        String[] parts = out.split("\\|");
        assertTrue(parts[0].equals(before.toString()) || parts[0].equals(after.toString()), out);
        assertTrue(parts[1].matches("\\d{2} [A-Z][a-z]{2} \\d{4}"), out);
    }

    @Test
    void parsedTemplatesSerialize() throws Exception {
        JinjaTemplate t = JinjaTemplate.parse("t", "{% for m in messages %}{{ m.content|upper }}{% endfor %}");
        JinjaTemplate back = ShippedToExecutor.copy(t);
        assertEquals("HIYOAGAIN", back.render(Map.of("messages", messages())));
    }
}
