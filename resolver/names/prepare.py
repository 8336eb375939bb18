"""The name pipeline: raw text in any script → the features the model and the index use."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from rigour.names import extract_org_types, remove_org_types, remove_person_prefixes
from rigour.text import is_stopword
from rigour.text.phonetics import metaphone

from resolver.names.clean import clean
from resolver.names.translit import latinize

# Longer input is cut here: no real name is longer, and it bounds the work a hostile query can cause.
MAX_NAME_CHARS = 1000

_PUNCT = re.compile(r"[^a-z0-9]+")

# Business words that say nothing about which company it is. They stay in the name strings but do
# not make blocking keys on their own (a "TRADING" block would pull in thousands of candidates).
GENERIC_ORG_WORDS = frozenset(
    "company co corp corporation group holding holdings international intl trading trade industries industry "
    "enterprise enterprises services service limited ltd inc llc jsc general national import export "
    "investment investments development management consulting technology technologies".split()
)


@dataclass(frozen=True, slots=True)
class NameFeatures:
    """What a name becomes. Every string is lower-case ASCII; None means "no usable name"."""

    norm: str | None  # tokens in written order, legal form and honorifics removed
    sorted: str | None  # the same tokens sorted: word order no longer matters
    tokens: tuple[str, ...]  # distinct tokens without stopwords ("al", "of"), in written order
    phonetic: str | None  # sorted Metaphone keys of the tokens
    legal_form: str | None  # generic legal form ("llc", "jsc") when the name carries one
    skeleton: tuple[str, ...] = ()  # consonant skeletons of the tokens, for abjad scripts (see _skeleton)
    folded: str | None = None  # the sorted words with romanisation variants folded (see fold)
    # the consonant skeletons of every word (a short word's first letter where it has none), sorted: Arabic
    # and Persian script write few vowels, so "محمد شفیق" and "Mohammad Shafiq" agree only here; two words or more
    skeleton_full: str | None = None
    script: str | None = None  # the main script of the raw name's letters: "latin", "cyrillic", "arabic", ...
    # the East Slavic skeletons of every word (see slavic_skeleton), sorted; None for an Arabic-script name, whose
    # h and g are letters of their own; two words or more
    slavic_full: str | None = None

    def blocking_tokens(self) -> list[str]:
        """Tokens that may open a block: long enough and not generic business words."""
        return [t for t in self.tokens if len(t) >= 3 and t not in GENERIC_ORG_WORDS]

    def index_keys(self) -> list[str]:
        """Keys of the candidate index: the model's blocking rules, plus fuzzy-recall keys."""
        keys = []
        if self.sorted:
            keys.append("s:" + self.sorted)
            joined = self.sorted.replace(" ", "")
            if len(joined) >= 6:
                # the start of the sorted, joined name: catches split/joined words ("AERO CONTINENT" /
                # "AEROCONTINENTE") and names whose only long word is generic ("HALS-/GALS-DEVELOPMENT")
                keys.append("f:" + joined[:10])
            if " " not in self.sorted:
                keys.append("j:" + self.sorted)  # a one-word name meets the joined form of a spaced one
        if self.phonetic:
            keys.append("p:" + self.phonetic)
        if self.folded and self.folded != self.sorted:
            keys.append("q:" + self.folded)
            folded_joined = self.folded.replace(" ", "")
            if len(folded_joined) >= 8:
                keys.append("g:" + folded_joined[:8])  # split or joined words in another romanisation
        for token in self.blocking_tokens():
            keys.append("t:" + token)
            if len(token) >= 5:
                keys.append("x:" + token[:4])  # a typo or transliteration variant late in the token
            key = _metaphone(token)
            if key:
                keys.append("m:" + key)
            folded = fold(token)
            if folded != token and len(folded) >= 4:
                keys.append("u:" + folded)  # the word in another romanisation ("akhwan" / "achwan" differ less)
        for token in self.blocking_tokens():
            skeleton = _skeleton(token) if token.isalpha() else ""
            if len(skeleton) >= 3:
                keys.append("k:" + skeleton)
        if self.skeleton_full:
            keys.append("K:" + self.skeleton_full)  # the cross-script skeleton level's own block
        if self.slavic_full:
            keys.append("V:" + self.slavic_full)  # the cross-script East Slavic level's own block
        if self.norm and " " in self.norm:
            keys.append("j:" + self.norm.replace(" ", ""))  # "AERO CONTINENTE" / "AEROCONTINENTE"
        return list(dict.fromkeys(keys))


EMPTY = NameFeatures(None, None, (), None, None, ())


# Words kept per cache of a word-by-word step (skeletons, folds, phonetic keys). A server meets new words all day
# and each cache fills to its size: 20,000 words hold a day's common ones, and a miss costs a few microseconds.
WORD_CACHE = 20_000

_VOWELS = re.compile(r"[aeiouyw]")
_DOUBLES = re.compile(r"(.)\1+")
# Latin digraphs that romanise one Arabic/Persian letter; the abjad transliteration writes one letter. The French
# romanisation writes ش as "ch" ("CHAOUI" / شاوي, "Ansar al-Charia" / الشريعة): ch is the s of sh. Replaced in one
# pass, so that "skhny" (سخني) is s-kh-n-y, not sh-n-y.
_DIGRAPHS = {"kh": "h", "sh": "s", "ch": "s", "dh": "d", "th": "t", "gh": "g", "q": "k"}
_DIGRAPH = re.compile("|".join(_DIGRAPHS))


# A word-final h that is not the end of a digraph ("kh", "sh"): the romanisations of Arabic and Persian write the
# ta marbuta and a final heh or hah with it or without it ("Hilweh" / "HILWA" / حلوة, "Allah" / الله, "Salih" / صالح).
_FINAL_H = re.compile(r"(?<![kscdtgz])h$")


@lru_cache(maxsize=WORD_CACHE)
def _skeleton(token: str) -> str:
    """The consonants of a token: Arabic and Persian script write few vowels, so "mhsn" (from محسن)
    and "mohsen" agree only once the vowels are gone; a final h counts for nothing (see _FINAL_H)."""
    token = _FINAL_H.sub("", token)
    token = _DIGRAPH.sub(lambda m: _DIGRAPHS[m[0]], token)
    return _DOUBLES.sub(r"\1", _VOWELS.sub("", token))


# Belarusian and Ukrainian spellings of a name against its Russian form, and their romanisations: г is h in
# one and g in the other ("Siarhei" / "Sergei", "Ihar" / "Igor"), ў after a vowel is u where Russian has в
# ("VOLKAU" / "VOLKOV", "Ivanauna" / "Ivanovna") and so is a word's first у before л or с ("Uladzimir" /
# "Vladimir", "Usevalad" / "Vsevolod"), дз and ц (written dz, ts) stand for a Russian д and т
# ("Dzmitry" / "Dmitry", "Valyantsina" / "Valentina"), and the unstressed vowels differ ("Pjatrovitj" /
# "Petrovich"): the consonant skeleton of the folded word, with those letters made one.
_SLAVIC_W = re.compile(r"(?<=[aeo])u(?=[^aeiou]|$)|^u(?=[ls])")


@lru_cache(maxsize=WORD_CACHE)
def slavic_skeleton(token: str) -> str:
    """A word's East Slavic skeleton (see above)."""
    # ў before folding too: folding makes the "ou" of "Sakalouski" (Сакалоўскі) a "u"
    folded = fold(_SLAVIC_W.sub("v", token.replace("ts", "t").replace("dz", "d")))
    return _skeleton(_SLAVIC_W.sub("v", folded).replace("h", "g"))


# Spellings that different romanisations of one name use for one sound: the EU's Swedish-style
# "Vladimirovitj", "Lukasjenko", German "Tschernow", English "Chernov", Belarusian "Dzmitry", and
# i / y / j for the Cyrillic й, и, ы, я. Longest first; each applied to the whole word in turn.
_FOLDS = (
    ("tsch", "ch"), ("sch", "sh"), ("itj", "ich"), ("tj", "ch"), ("sj", "sh"), ("zj", "zh"), ("kh", "h"),
    ("ch", "c"), ("sh", "s"), ("zh", "z"), ("ts", "c"), ("tz", "c"), ("dz", "z"), ("ij", "i"), ("iy", "i"),
    ("yi", "i"), ("y", "i"), ("j", "i"), ("w", "v"), ("ph", "f"), ("ou", "u"), ("oo", "u"), ("ee", "i"),
    ("q", "k"), ("x", "ks"), ("ck", "k"),
)  # fmt: skip


_IOTATION = re.compile(r"i(?=[aeou])")


@lru_cache(maxsize=WORD_CACHE)
def fold(token: str) -> str:
    """A word with its romanisation variants folded to one spelling: "vladimirovitj", "vladimirovich" and
    "uladzimiravich" come closer ("vladimirovic", "uladimiravic"); doubled letters count once, and an "i" before
    a vowel, which one romanisation writes for a soft sign or я/ю/е and another leaves out, goes
    ("natalia" / "natalya", "iurievich" / "yurevich")."""
    for variant, common in _FOLDS:
        token = token.replace(variant, common)
    return _DOUBLES.sub(r"\1", _IOTATION.sub("", token))


# rigour's own cache (131,072 words) behind ours would only ever miss: its uncached function, where it has one
_METAPHONE = getattr(metaphone, "__wrapped__", metaphone)


@lru_cache(maxsize=WORD_CACHE)
def _metaphone(token: str) -> str:
    return _METAPHONE(token) if token.isalpha() and len(token) > 1 else ""


# Arabic compound names, written as one word or as two ("Abdurrahman" / عبد الرحمن, "Rahmatullah" / رحمت الله,
# "Nasiruddin" / نصیر الدین): for the skeletons, each is made the same parts whichever way it comes.
# "Abd" joined to the article and the next word ("ABDULKARIM", "Abdelaziz", "Abdurrahman", عبدالكريم) is split: "abd"
# and the word; the article before a sun letter is written as that letter ("ar-Rahman", "ABDUSSALAM"). Abdullah
# ("abdullah", "Abd Allah", عبد الله) is one word everywhere: "abdallah". "Abdul" alone is "abd" and the article.
_ABD_JOINED = re.compile(r"^a?bd(?:[aeiu]|ou)(?:l|([rsdtnz])(?=\1))(?=[a-z]{3,}$)")  # "bd": عبد without its ʿayn
_ABD_ARTICLE = frozenset({"abdul", "abdel", "abdal", "abdil", "abdoul", "abdol", "abd", "bd"})
_ALLAH = re.compile(r"^a?bd[aeiou]*l+a?h$")
_ALLAH_WORD = re.compile(r"^[aou]?l+a?h?$")  # "allah", "allh" (الله), "ullah", "ulla": after "abd", one word with it
# A word and Allah or ad-Din as one ("Rahmatullah", "HABIBULLAH", خيرالله; "SADUDDIN", "Sadudin", "Jallaloudine"):
# split. One d only after a u that follows a consonant, or after "ou": "Claudine" and "Beaudin" are no ad-Din.
_WITH_ALLAH = re.compile(r"^([a-z]{3,}?)[aou](?:llah|llh)$")
_WITH_DIN = re.compile(r"^([a-z]{3,}?)(?:[ueai]dd|(?<![aeiouy])ud|oud)(?:i|ee|y)ne?$")
# The article, in the forms the romanisations write it in before a sun letter ("ad-Din", "ash-Sham", "ur-Rehman"):
# left out of the skeletons as the stopword "al" is left out of the words.
_ARTICLE = frozenset("al el ul ad ud ar ur as us ash ush at ut az an".split())


def _split_joined(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        if word in _ARTICLE:
            continue
        if _ALLAH.match(word):
            out.append("abdallah")
        elif _ALLAH_WORD.match(word) and out and out[-1] == "abd":
            out[-1] = "abdallah"
        elif _ABD_JOINED.match(word):
            out.extend(("abd", _ABD_JOINED.sub("", word)))
        elif word in _ABD_ARTICLE:
            out.append("abd")
        elif found := _WITH_ALLAH.match(word):
            out.extend((found[1], "allah"))
        elif found := _WITH_DIN.match(word):
            out.extend((found[1], "din"))
        else:
            out.append(word)
    return out


def _legal_form(text: str, kind: str | None) -> tuple[str, str | None]:
    if kind == "person":
        return remove_person_prefixes(text), None
    found = extract_org_types(text, generic=True)
    if not found:
        return (remove_person_prefixes(text) if kind is None else text), None
    return remove_org_types(text), found[0][1]


def _script_of(char: str) -> str | None:
    if char.isascii():
        return "latin" if char.isalpha() else None
    if not char.isalpha():
        return None
    try:
        return unicodedata.name(char).split(" ", 1)[0].lower()  # "CYRILLIC SMALL LETTER A" → "cyrillic"
    except ValueError:
        return None


def main_script(text: str) -> str | None:
    """The script most of the letters of ``text`` are written in (lower case, as Unicode names it), or None."""
    if text.isascii():
        return "latin" if any(c.isalpha() for c in text) else None
    counts = Counter(s for s in map(_script_of, text) if s)
    return counts.most_common(1)[0][0] if counts else None


def prepare_name(text: str | None, kind: str | None = None) -> NameFeatures:
    """Prepare one name. ``kind`` is "person", "organization", "vessel", "aircraft" or None
    (unknown: honorifics and legal forms are both looked for)."""
    if not text:
        return EMPTY
    raw = clean(text[:MAX_NAME_CHARS])
    latin = latinize(raw)
    core, legal_form = _legal_form(latin, kind)
    words = _PUNCT.sub(" ", core).split()
    if not words:  # the name was only a legal form ("LLC") or an honorific: keep what there was
        words = _PUNCT.sub(" ", latin).split()
        legal_form = None
    if not words:
        return EMPTY
    distinct = list(dict.fromkeys(words))
    tokens = tuple(t for t in distinct if not is_stopword(t)) or tuple(distinct)
    keys = sorted(k for k in (_metaphone(t) for t in tokens) if k)
    # three consonants or more: shorter skeletons ("ng" from "ying") match unrelated romanised syllables
    # "abd" split from its word for the skeletons only (see _split_joined): as words, "abd karim" would make
    # every "Abd ..." name a two-word subset of others
    parts = list(dict.fromkeys(_split_joined(list(tokens))))
    skeleton = tuple(dict.fromkeys(k for k in (_skeleton(t) for t in parts if t.isalpha()) if len(k) >= 3))
    every = sorted((_skeleton(t) or t[:1]) if t.isalpha() else t for t in parts)
    script = main_script(raw)
    slavic = sorted((slavic_skeleton(t) or t[:1]) if t.isalpha() else t for t in tokens)
    return NameFeatures(
        norm=" ".join(words),
        sorted=" ".join(sorted(words)),
        tokens=tokens,
        phonetic=" ".join(keys) if keys else None,
        legal_form=legal_form,
        skeleton=skeleton,
        folded=" ".join(sorted(fold(w) for w in words)),
        skeleton_full=" ".join(every) if len(every) >= 2 else None,
        script=script,
        slavic_full=" ".join(slavic) if len(slavic) >= 2 and script != "arabic" else None,
    )
