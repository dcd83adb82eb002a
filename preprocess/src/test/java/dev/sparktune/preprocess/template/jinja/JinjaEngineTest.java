package dev.sparktune.preprocess.template.jinja;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Jinja features one by one. Each expected string is what Jinja2 3.1 renders for the same template and variables in
 * transformers' chat-template environment ({@code ImmutableSandboxedEnvironment(trim_blocks=True,
 * lstrip_blocks=True)} + loopcontrols + the json.dumps {@code tojson}); they were produced by running these templates
 * through that environment with the reference venv (.venv-ref) and pasted here.
 */
class JinjaEngineTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of("trim_blocks and lstrip_blocks", "{% if true %}\n  yes\n{% endif %}\n", "{}", "  yes\n"),
                Arguments.of(
                        "minus modifiers strip all whitespace", "a  {%- if true -%}  b  {%- endif -%}  c", "{}", "abc"),
                Arguments.of(
                        "lstrip before block tags in a loop",
                        "  {% for i in [1,2] %}\n{{ i }}\n  {% endfor %}\ndone",
                        "{}",
                        "1\n2\ndone"),
                Arguments.of("minus on variable tags", "x {{- ' y ' -}} z", "{}", "x y z"),
                Arguments.of("comments are trimmed like blocks", "{# comment #}\nA\n  {# c2 #}\nB", "{}", "A\nB"),
                Arguments.of(
                        "plus modifiers keep whitespace",
                        "line1\n  {%+ if true %}k{% endif +%}\nline2",
                        "{}",
                        "line1\n  k\nline2"),
                Arguments.of("raw block", "{% raw %}{{ not evaluated }}{% endraw %}", "{}", "{{ not evaluated }}"),
                Arguments.of("one trailing newline dropped", "text\n", "{}", "text"),
                Arguments.of(
                        "lstrip applies to blocks only",
                        "  {{ 'keep' }}\n{% if true %}  x{% endif %}",
                        "{}",
                        "  keep\n  x"),
                Arguments.of(
                        "slicing with negative steps and code points",
                        "{{ 'hello'[::-1] }}|{{ [1,2,3,4,5][1:4] }}|{{ [1,2,3,4,5][::-2] }}|{{ 'abcdef'[-3:] }}|{{ [1,2,3][:-1] }}|{{ 'h\u00e9llo\ud83d\ude00x'[1:-1] }}|{{ [1,2,3][5:] }}|{{ 'abc'[-1] }}",
                        "{}",
                        "olleh|[2, 3, 4]|[5, 3, 1]|def|[1, 2]|\u00e9llo\ud83d\ude00|[]|c"),
                Arguments.of(
                        "namespace assignment from a loop",
                        "{% set ns = namespace(count=0, last=none) %}{% for x in [1,2,3] %}{% set ns.count = ns.count + x %}{% set ns.last = x %}{% endfor %}{{ ns.count }},{{ ns.last }}",
                        "{}",
                        "6,3"),
                Arguments.of(
                        "set in a loop does not leak",
                        "{% set x = 1 %}{% for i in range(2) %}{% set x = x + 10 %}{{ x }},{% endfor %}{{ x }}",
                        "{}",
                        "11,11,1"),
                Arguments.of(
                        "loop variables",
                        "{% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }};{% endfor %}",
                        "{}",
                        "1032TrueFalse3b;2121FalseFalse3ac;3210FalseTrue3b;"),
                Arguments.of(
                        "for-if filter and for-else",
                        "{% for x in [1,2,3,4] if x is even %}{{ x }}{{ loop.length }}{% else %}none{% endfor %}|{% for x in [] %}y{% else %}empty{% endfor %}",
                        "{}",
                        "2242|empty"),
                Arguments.of(
                        "tuple unpacking and dict items",
                        "{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }} {% endfor %}|{% for a, b in [(1,2),(3,4)] %}{{ a+b }}{% endfor %}",
                        "{}",
                        "b=1 a=2 |37"),
                Arguments.of(
                        "break and continue",
                        "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}",
                        "{}",
                        "0134"),
                Arguments.of(
                        "nested loops and range",
                        "{% for a in [1,2] %}{% for b in 'xy' %}{{ loop.index }}{{ b }}{% endfor %}{{ loop.index }}{% endfor %}|{{ range(2, 9, 3)|list }}",
                        "{}",
                        "1x2y11x2y2|[2, 5, 8]"),
                Arguments.of(
                        "string filters",
                        "{{ '  hi  '|trim }}|{{ 'xxhixx'|trim('x') }}|{{ [1,2,3]|length }}|{{ 'abc'|count }}|{{ 'abc'|upper }}|{{ 'ABC'|lower }}|{{ 'hello wORLD-foo'|title }}|{{ 'hELLO'|capitalize }}|{{ 'a-b-c'|replace('-', '+') }}|{{ [1,2,3]|join(', ') }}|{{ [3,1,2]|first }}|{{ [3,1,2]|last }}",
                        "{}",
                        "hi|hi|3|3|ABC|abc|Hello World-Foo|Hello|a+b+c|1, 2, 3|3|2"),
                Arguments.of(
                        "default, conversions and numbers",
                        "{{ undefined_thing|default('dflt') }}|{{ ''|default('e', true) }}|{{ none|d('n') }}|{{ 'abc'|list }}|{{ 42|string }}|{{ '12'|int + 1 }}|{{ '3.5'|float }}|{{ 'x'|int }}|{{ -3|abs }}|{{ 2.5|round }}|{{ 3.14159|round(2) }}|{{ 7|float }}",
                        "{}",
                        "dflt|e|None|['a', 'b', 'c']|42|13|3.5|0|3|2.0|3.14|7.0"),
                Arguments.of(
                        "collection filters",
                        "{{ {'b':1,'a':2}|items|list }}|{{ {'b':1,'a':2}|dictsort }}|{{ users|map(attribute='name')|join(',') }}|{{ ['a','b']|map('upper')|list }}|{{ users|selectattr('admin')|map(attribute='name')|list }}|{{ users|rejectattr('admin')|list|length }}|{{ [1,2,3,4]|select('odd')|list }}|{{ [1,2,3,4]|reject('odd')|list }}|{{ ['a','A','b']|unique|list }}|{{ [1,2,3]|reverse|list }}|{{ 'abc'|reverse }}|{{ ['b','A','c']|sort }}|{{ users|sort(attribute='name', reverse=true)|map(attribute='name')|join }}|{{ users|selectattr('name', 'equalto', 'al')|list }}",
                        "{\"users\": [{\"name\": \"bob\", \"admin\": true}, {\"name\": \"al\", \"admin\": false}]}",
                        "[('b', 1), ('a', 2)]|[('a', 2), ('b', 1)]|bob,al|['A', 'B']|['bob']|1|[1, 3]|[2, 4]|['a', 'b']|[3, 2, 1]|cba|['A', 'b', 'c']|bobal|[{'name': 'al', 'admin': False}]"),
                Arguments.of(
                        "indent, wordcount, batch, safe",
                        "{{ 'a\nb\n\nc'|indent(2) }}|{{ 'a\nb'|indent(2, true) }}|{{ 'one two  three'|wordcount }}|{{ [1,2,3,4,5]|batch(2)|list }}|{{ '<b>'|safe }}",
                        "{}",
                        "a\n  b\n\n  c|  a\n  b|3|[[1, 2], [3, 4], [5]]|<b>"),
                Arguments.of(
                        "tojson as json.dumps",
                        "{{ data|tojson }}|{{ data|tojson(indent=2) }}|{{ data|tojson(separators=(',', ':')) }}|{{ data|tojson(sort_keys=true) }}|{{ 'caf\u00e9\ud83d\ude00\"\n\t\\\\'|tojson }}|{{ [1.0, 1e-7, 1e20, none, true, 0.1]|tojson }}|{{ '\u00e9'|tojson(true) }}",
                        "{\"data\": {\"b\": [1, 2, {\"x\": null}], \"a\": \"\\u00e9\", \"c\": {}, \"d\": []}}",
                        "{\"b\": [1, 2, {\"x\": null}], \"a\": \"\u00e9\", \"c\": {}, \"d\": []}|{\n  \"b\": [\n    1,\n    2,\n    {\n      \"x\": null\n    }\n  ],\n  \"a\": \"\u00e9\",\n  \"c\": {},\n  \"d\": []\n}|{\"b\":[1,2,{\"x\":null}],\"a\":\"\u00e9\",\"c\":{},\"d\":[]}|{\"a\": \"\u00e9\", \"b\": [1, 2, {\"x\": null}], \"c\": {}, \"d\": []}|\"caf\u00e9\ud83d\ude00\\\"\\n\\t\\\\\"|[1.0, 1e-07, 1e+20, null, true, 0.1]|\"\\u00e9\""),
                Arguments.of(
                        "tests",
                        "{{ x is defined }}{{ y is undefined }}{{ none is none }}{{ 's' is string }}{{ 1 is number }}{{ true is number }}{{ 1 is integer }}{{ true is integer }}{{ 1.0 is float }}{{ 1.0 is integer }}{{ {} is mapping }}{{ [] is iterable }}{{ 's' is sequence }}{{ true is boolean }}{{ true is true }}{{ 0 is false }}{{ 4 is even }}{{ 3 is odd }}{{ 9 is divisibleby 3 }}{{ 2 is in [1,2] }}{{ 1 is eq 1 }}{{ 1 is ne 2 }}{{ x is not none }}{{ 1 is string or x is number }}",
                        "{\"x\": 1}",
                        "TrueTrueTrueTrueTrueTrueTrueFalseTrueFalseTrueTrueTrueTrueTrueFalseTrueTrueTrueTrueTrueTrueTrueTrue"),
                Arguments.of(
                        "str methods",
                        "{{ '  a b  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ 'xxaxx'.lstrip('x') }}|{{ 'xxaxx'.rstrip('x') }}|{{ 'a,b,c'.split(',') }}|{{ 'a,b,c'.split(',', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}|{{ ' a  b '.split() }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x','c')) }}|{{ 'aaa'.replace('a','b',2) }}|{{ 'ab'.upper() }}{{ 'AB'.lower() }}|{{ \"they're bill's\".title() }}|{{ 'hello'.capitalize() }}|{{ 'hello'.find('l') }}|{{ 'hello'.find('z') }}|{{ 'hello'.count('l') }}|{{ 'a\nb\r\nc'.splitlines() }}|{{ '{} and {name}'.format(1, name='x') }}|{{ 'a</think>b</think>c'.split('</think>')[-1] }}|{{ '\n\nx\n'.lstrip('\n') }}",
                        "{}",
                        "a b|a|axx|xxa|['a', 'b', 'c']|['a', 'b,c']|['a,b', 'c']|['a', 'b']|True|True|bba|ABab|They'Re Bill'S|Hello|2|-1|2|['a', 'b', 'c']|1 and x|c|x\n"),
                Arguments.of(
                        "dict access and methods",
                        "{{ d.get('a') }}|{{ d.get('z', 'dflt') }}|{{ d.get('z') }}|{{ d.keys()|list }}|{{ d.values()|list }}|{{ d.items()|list }}|{{ d['a'] }}|{{ d.a }}|{{ 'a' in d }}|{{ d }}",
                        "{\"d\": {\"a\": 1, \"b\": [1, \"x\"]}}",
                        "1|dflt|None|['a', 'b']|[1, [1, 'x']]|[('a', 1), ('b', [1, 'x'])]|1|1|True|{'a': 1, 'b': [1, 'x']}"),
                Arguments.of(
                        "operators and Python printing",
                        "{{ 1 ~ 'a' ~ none }}|{{ 'ab' + 'cd' }}|{{ [1] + [2] }}|{{ 'ab' * 3 }}|{{ [0] * 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ 7 % 3 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 2 ** -1 }}|{{ 7 / 2 }}|{{ 6 / 2 }}|{{ 1 < 2 < 3 }}|{{ 'b' not in 'abc' }}|{{ 1 if false else 2 }}|{{ [1, 'a', none, true, 2.5, {'k': (1,)}, \"it's\"] }}|{{ true }}|{{ none }}|{{ 1e-5 }}|{{ 0.1 + 0.2 }}|{{ 1e16 }}|{{ 12345678.9 }}|{{ 0.0001 }}|{{ not 0 }}|{{ 'a' if 0 }}|{{ -(3) }}|{{ 'x' and 'y' }}|{{ '' or 'z' }}|{{ 10 - 2 * 3 }}|{{ -2 ** 2 }}|{{ (1, 2) }}|{{ (1,) }}|{{ 1.5 * 2 }}",
                        "{}",
                        "1aNone|abcd|[1, 2]|ababab|[0, 0]|3|-4|1|2|1024|0.5|3.5|3.0|True|False|2|[1, 'a', None, True, 2.5, {'k': (1,)}, \"it's\"]|True|None|1e-05|0.30000000000000004|1e+16|12345678.9|0.0001|True||-3|y|z|4|4|(1, 2)|(1,)|3.0"),
                Arguments.of(
                        "macros with defaults and keywords",
                        "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }} {{ greet(name='Cy') }}",
                        "{}",
                        "Hello, Ann! Hi, Bob! Hello, Cy!"),
                Arguments.of(
                        "call blocks",
                        "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}inner {{ 1 + 1 }}{% endcall %}",
                        "{}",
                        "<b>inner 2</b>"),
                Arguments.of(
                        "block set, filter block, tuple set",
                        "{% set body %}X{{ 1 + 1 }}{% endset %}{{ body }}{{ body|length }}|{% filter upper %}abc{{ 'd' }}{% endfilter %}|{% set a, b = 1, 2 %}{{ a }}{{ b }}",
                        "{}",
                        "X22|ABCD|12"),
                Arguments.of(
                        "undefined semantics",
                        "{{ missing }}|{{ missing|length }}|{% for x in missing %}x{% endfor %}|{{ d.nokey }}|{{ d.nokey is defined }}|{{ d['nokey'] is undefined }}|{{ missing ~ 'ok' }}|{{ none.attr is defined }}",
                        "{\"d\": {}}",
                        "|0|||False|True|ok|False"),
                Arguments.of(
                        "a chat-like template",
                        "{%- for m in messages %}\n  {%- if m.role == 'user' %}\n    {{- '<u>' + m.content + '</u>\\n' }}\n  {%- else %}\n    {{- '<a>' + m.content | trim + '</a>\\n' }}\n  {%- endif %}\n{%- endfor %}\n{%- if add_generation_prompt %}\n  {{- '<a>' }}\n{%- endif %}\n",
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"  yo  \"}], \"add_generation_prompt\": true}",
                        "<u>hi</u>\n<a>yo</a>\n<a>"),
                Arguments.of(
                        "messages indexing",
                        "{{ messages[0]['content'] }}{{ messages[-1].role }}{{ messages|length - 1 }}{{ messages[::-1][0].role }}{{ (messages|selectattr('role', 'equalto', 'user')|list|length) }}",
                        "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}, {\"role\": \"assistant\", \"content\": \"yo\"}]}",
                        "hiassistant1assistant1"),
                Arguments.of(
                        "indented loop body",
                        "{% for x in [1,2] %}\n    {{ x }}\n{% endfor %}",
                        "{}",
                        "    1\n    2\n"),
                Arguments.of(
                        "comments inside lines and with minus", "a\n    {# note #}\nb\n{#- x -#}\n  c", "{}", "a\nbc"),
                Arguments.of(
                        "if/else then an empty if block",
                        "{% if true %}a{% else %}b{% endif %}\n\n{% if false %}\n{% endif %}end",
                        "{}",
                        "a\nend"),
                Arguments.of(
                        "minus before blocks inside lines", "x\n  {%- if true %}\n  y\n  {%- endif %}\n", "{}", "x  y"),
                Arguments.of("no trim after variable tags", "{{ 'a' }}\n{{ 'b' }}\n", "{}", "a\nb"),
                Arguments.of("tabs around a block tag", "\t{% set x = 1 %}\t{{ x }}", "{}", "\t1"),
                Arguments.of("plus modifier at the start of a line", "  {%+ set x = 1 %}|{{ x }}", "{}", "  |1"),
                Arguments.of(
                        "macro body whitespace",
                        "{% macro m() %}\n  inside\n{% endmacro %}[{{ m() }}]",
                        "{}",
                        "[  inside\n]"),
                Arguments.of(
                        "string literal escapes and implicit concatenation",
                        "{{ 'a\\tb' }}{{ \"q\\\"q\" }}{{ 'e\\u00e9' }}{{ 'x' 'y' }}",
                        "{}",
                        "a\tbq\"qe\u00e9xy"),
                Arguments.of(
                        "raw with minus modifiers", "{%- raw %}  {{ x }}  {% endraw -%}\n  z", "{}", "  {{ x }}  z"),
                Arguments.of(
                        "loop.last, map/join, last",
                        "{% for m in msgs %}{{ m.role }}{% if not loop.last %},{% endif %}{% endfor %}|{{ msgs|map(attribute='content')|join('/') }}|{{ (msgs|last).content }}",
                        "{\"msgs\": [{\"role\": \"user\", \"content\": \"a\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}",
                        "user,assistant|a/b|b"),
                Arguments.of(
                        "format, %, sum, max, min, length, center",
                        "{{ '%s-%d'|format('a', 3) }}|{{ 'ab%s' % 'c' }}|{{ [1,2]|sum }}|{{ [3,1,2]|max }}|{{ [3,1,2]|min }}|{{ {'a':1}|length }}|{{ 'ab'|center(6) }}|",
                        "{}",
                        "a-3|abc|3|3|1|1|  ab  |"),
                Arguments.of(
                        "indent edge cases",
                        "{{ 'a\n'|indent(2, blank=true) }}|{{ '\nx'|indent(2, true) }}|{{ 'a\nb\n'|indent }}|{{ 'a\n\nb'|indent(width='> ', first=true) }}",
                        "{}",
                        "a\n  |  \n  x|a\n    b\n|> a\n\n> b"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rendersLikeJinja2(String feature, String template, String contextJson, String expected) throws Exception {
        JinjaTemplate t = JinjaTemplate.parse(feature, template);
        @SuppressWarnings("unchecked")
        Map<String, Object> context = (Map<String, Object>) JinjaTemplate.valueOf(JSON.readTree(contextJson));
        assertEquals(expected, t.render(context));
    }
}
