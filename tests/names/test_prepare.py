"""The name pipeline on the spellings the lists really use."""

from __future__ import annotations

import pytest

from resolver.names import prepare_name
from resolver.names.clean import repair_c1
from resolver.names.prepare import MAX_NAME_CHARS


def test_cyrillic_and_latin_spellings_share_tokens() -> None:
    latin = prepare_name("ABRAMOVICH, Roman Arkadyevich", "person")
    cyrillic = prepare_name("Роман Аркадьевич Абрамович", "person")
    assert {"abramovich", "roman"} <= set(latin.tokens) & set(cyrillic.tokens)
    assert latin.sorted == "abramovich arkadyevich roman"  # "SURNAME, Given" and "Given Surname" agree


@pytest.mark.parametrize(
    ("name", "core", "form"),
    [
        ('ООО "Ромашка"', "romashka", "llc"),
        ("OOO ROMASHKA", "romashka", "llc"),
        ("Romashka LLC", "romashka", "llc"),
        ("ТОВ Укрнафта", "ukrnafta", "llc"),
        ("ПАО «Роснефть»", "rosneft", "jsc"),
        ("PJSC Rosneft", "rosneft", "jsc"),
        ("Public Joint Stock Company Rosneft", "rosneft", "jsc"),
        ("AO Kalashnikov", "kalashnikov", "jsc"),
        ("CECOEX, S.A.", "cecoex", "jsc"),
        ("Siemens GmbH", "siemens", "llc"),
    ],
)
def test_legal_forms_are_canonicalised_across_languages(name: str, core: str, form: str) -> None:
    features = prepare_name(name, "organization")
    assert features.norm == core
    assert features.legal_form == form


def test_honorifics_are_stripped_from_persons() -> None:
    assert prepare_name("Mr. John Smith", "person").norm == "john smith"
    assert prepare_name("Dr. Ali Hassan", None).norm == "ali hassan"


def test_homoglyphs_invisible_characters_and_full_width_forms() -> None:
    plain = prepare_name("ABRAMOVICH")
    assert prepare_name("АBRAMOVICH") == plain  # Cyrillic А in a Latin word
    assert prepare_name("ABRA\u200bMO\u00adVICH") == plain  # zero-width space, soft hyphen
    assert prepare_name("ＡＢＲＡＭＯＶＩＣＨ") == plain  # full-width letters


def test_windows_1252_characters_decoded_as_c1_controls_are_put_back() -> None:
    assert repair_c1("Xi\x92an") == "Xi\u2019an"  # as the US Consolidated Screening List writes Xi’an
    assert repair_c1("\x8aKODA \x80 \x93x\x94") == "\u0160KODA \u20ac \u201cx\u201d"  # Š, €, quotes
    assert repair_c1("a\x81b\x9dc") == "abc"  # bytes Windows-1252 leaves undefined: dropped
    plain = "Café Ünal – Ltd."  # no C1 control: the same string back
    assert repair_c1(plain) is plain
    assert prepare_name("Xi\x92an Engine Factory") == prepare_name("Xi’an Engine Factory")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("محسن حجتی", "mhsn hjty"),  # Arabic script (Persian)
        ("习近平", "xi jinping"),  # a Han name written alone: surname, then the given name as one word
        ("李明", "li ming"),
        ("Ψηφιακή Ελλάδα", "psifiaki ellada"),
    ],
)
def test_other_scripts_are_transliterated(name: str, expected: str) -> None:
    assert prepare_name(name).norm == expected


def test_han_name_parts_are_one_word_each() -> None:
    # Per-syllable words would let any two Chinese names align on shared syllables ("jian", "hong")
    assert prepare_name("志遠 建宏 潘").tokens == ("zhiyuan", "jianhong", "pan")
    assert prepare_name("习近平").sorted == prepare_name("XI Jinping").sorted


@pytest.mark.parametrize("name", ["", "   ", "\x00\x01\x02", "\u200b\u200b", "---", None])
def test_names_without_letters_or_digits_give_no_features(name: str | None) -> None:
    features = prepare_name(name)
    assert features.norm is None and features.tokens == () and features.index_keys() == []


def test_huge_and_mixed_input_is_bounded_and_sane() -> None:
    huge = prepare_name("Ivanov " * 20_000)  # 140k characters
    assert huge.norm is not None and len(huge.norm) <= MAX_NAME_CHARS
    assert huge.tokens == ("ivanov",)
    mixed = prepare_name("Gazprom Газпром غازبروم")
    assert mixed.tokens[:2] == ("gazprom", "gazprom") or mixed.tokens[0] == "gazprom"
    assert all(t.isascii() for t in mixed.tokens)


def test_index_keys_cover_the_blocking_rules() -> None:
    keys = prepare_name("Oleg Vladimirovich DERIPASKA", "person").index_keys()
    assert "s:deripaska oleg vladimirovich" in keys
    assert {"t:deripaska", "t:oleg", "t:vladimirovich"} <= set(keys)
    assert any(k.startswith("p:") for k in keys)
    generic = prepare_name("International Trading Company Ltd", "organization").index_keys()
    assert not any(k.startswith("t:") for k in generic)  # generic words open no blocks


def test_romanisation_variants_fold_to_one_spelling() -> None:
    # the EU's Swedish-style romanisation, the BGN-style one from Cyrillic, and a Belarusian one
    eu = prepare_name("Aleksandr Grigorjevitj LUKASJENKO").folded
    assert eu == prepare_name("Aleksandr Grigorievich LUKASHENKO").folded
    assert prepare_name("Vladimir Vladimirovitj NAUMOV").folded == prepare_name("Владимир Владимирович НАУМОВ").folded
    assert "q:" + (eu or "") in prepare_name("Aleksandr Grigorjevitj LUKASJENKO").index_keys()


def test_folded_words_and_folded_joined_prefixes_open_blocks() -> None:
    keys = prepare_name("HATKAEW COMPANY LTD.", "organization").index_keys()
    assert "g:companih" in keys  # folded "compani hatkaev": "HAD KAEW COMPANY" meets it there
    assert "u:lukasenko" in prepare_name("Aleksandr LUKASJENKO").index_keys()


def test_a_latin_i_in_a_cyrillic_word_is_read_as_cyrillic() -> None:
    # Belarusian and Ukrainian lists type a Latin "i" for "і": the word is Cyrillic, not a Latin spoof
    assert (
        prepare_name("Iгар Уладзiмiравiч ЛУЦКI", "person").norm
        == prepare_name("Ігар Уладзіміравіч ЛУЦКІ", "person").norm
    )
    assert prepare_name("Iгар Уладзiмiравiч ЛУЦКI", "person").norm == "ihar uladzimiravich lutski"  # Belarusian г is h
    assert prepare_name("АBRAMOVICH").norm == "abramovich"  # and a Cyrillic А in a Latin word stays Latin


def test_an_apostrophe_inside_a_word_is_dropped() -> None:
    assert prepare_name("Ja'far Abd al-Rahman", "person").norm == prepare_name("JAFAR Abd al Rahman", "person").norm
    assert prepare_name("Pyo'ng-ch'an").tokens == ("pyong", "chan")
    assert prepare_name("'Abdallah'").norm == "abdallah"  # a quote around a word is punctuation, as before


def test_an_i_before_a_vowel_folds_away() -> None:
    # a soft sign or я/ю is "i" in one romanisation and nothing or "y" in another
    assert prepare_name("Natalia Iurievna").folded == prepare_name("Natalya Yurevna").folded


def test_cross_script_skeletons_and_main_script() -> None:
    arabic, latin = prepare_name("محمد شفیق محمدی", "person"), prepare_name("MOHAMMADI MOHAMMAD SHAFIQ", "person")
    assert (arabic.script, latin.script) == ("arabic", "latin")
    assert arabic.skeleton_full == latin.skeleton_full == "mhmd mhmd sfk"
    assert "K:mhmd mhmd sfk" in latin.index_keys()
    # every word counts, short ones by their first letter: a missing word changes the skeleton
    assert prepare_name("Sina Fatemeh Mohammadi").skeleton_full != prepare_name("Fatemeh Mohammadi").skeleton_full
    assert prepare_name("Putin").skeleton_full is None  # one word says too little
    assert prepare_name("Владимир Путин").script == "cyrillic"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("سعيد باهاجى", "syd bahaja"),  # the ʿayn is not a word break ("s yd"); ى is an a
        ("صالح الراشد", "salh al rashd"),  # the article split from its word, as "Saleh AL-RASHED" writes it
        ("خالد العمدوني", "khald al mdwny"),  # the article split off before the ʿayn goes
        ("علي محمد", "ly mhmd"),  # no "aly": a three-letter word would make "محمد علي" a subset of many names
        ("عبد الله", "bd allh"),  # Allah keeps its l
        ("احمد الجاروشة", "ahmd al jarwshah"),  # ta marbuta: -ah ("AL-JAROUCHAH"), not -t
        ("محمد مسعود اظہر علوی", "mhmd mswd azhr lwy"),  # Urdu heh goal (ہ) is an h, not a word break
        ("رودي سليــوة", "rwdy slywah"),  # tatweel (ـ) is drawing, not a letter
    ],
)
def test_arabic_script_romanises_as_the_lists_write_it(name: str, expected: str) -> None:
    assert prepare_name(name, "person").norm == expected


@pytest.mark.parametrize(
    ("arabic", "latin"),
    [
        ("عدنان عبود حلوة", "Adnan Aboud HILWEH"),  # final -eh / ة
        ("صالح الراشد", "Saleh AL-RASHED"),  # joined article; final h of صالح / Saleh
        ("عبدالرحمان زاهد", "ABDUL RAHMAN ZAHED"),  # Abd joined to the article and the word
        ("ساره محمد مخلوف", "Sara Mohammed MAKHLOUF"),  # final heh written in one, not the other
        ("فارس الشهابي", "Fares CHIHABI"),  # the French ch for ش
        ("عدنان عبدو السخني", "Adnan Abdou AL-SEKHNI"),  # s-kh, not sh
    ],
)
def test_arabic_and_latin_spellings_of_one_listing_share_every_skeleton(arabic: str, latin: str) -> None:
    a, b = prepare_name(arabic, "person"), prepare_name(latin, "person")
    assert a.skeleton_full is not None
    assert a.skeleton_full == b.skeleton_full


def test_abd_is_split_for_the_skeletons_only() -> None:
    joined, apart = prepare_name("ABDULKARIM Hassan", "person"), prepare_name("Abd al-Karim Hassan", "person")
    assert joined.skeleton_full == apart.skeleton_full == "bd hsn krm"
    assert joined.tokens == ("abdulkarim", "hassan")  # the words stay as written: no two-word subset of "abd ..."
    # Abdullah is one word in every script, however it is written
    assert prepare_name("عبدالله حسن").skeleton_full == prepare_name("Abdullah Hassan").skeleton_full == "bdl hsn"
    assert prepare_name("امیر عبد الله").skeleton_full == prepare_name("ABDULLAH Amir").skeleton_full == "bdl mr"
    assert prepare_name("Abd Allah Hassan").skeleton_full == "bdl hsn"


@pytest.mark.parametrize(
    ("arabic", "latin", "skeleton"),
    [
        ("رحمت الله", "Rahmatullah", "l rhmt"),  # a word and Allah, apart in one script and one word in the other
        ("خيرالله", "Khair Ullah", "hr l"),  # ... or the other way round
        ("حبیب الله رشاد", "RESHAD HABIBULLAH", "hb l rsd"),
        ("نصیر الدین حقانی", "NASIRUDDIN HAQQANI", "dn hkn nsr"),  # ad-Din
        ("سراج الدين", "SIRAJUDDIN", "dn srj"),
        ("سعد الدين", "Sadudin", "dn sd"),  # one d
        ("جلال الدين", "Jallaloudine", "dn jl"),
        ("نصر الدين", "NASREDDINE", "dn nsr"),
        ("صلاح الدين", "Salah ad-Din", "dn sl"),  # the article as the sun letter writes it
        ("عبد الرحمن", "Abdurrahman", "bd rhmn"),  # Abd, the article and the word as one
        ("عبد الرحمن", "ABD UR-REHMAN", "bd rhmn"),
        ("عبد السلام", "ABDUSSALAM", "bd slm"),
    ],
)
def test_compound_names_have_one_skeleton_however_they_are_joined(arabic: str, latin: str, skeleton: str) -> None:
    assert prepare_name(arabic, "person").skeleton_full == prepare_name(latin, "person").skeleton_full == skeleton


def test_a_word_ending_like_allah_is_not_split_without_the_double_l_and_h() -> None:
    # "Mahalla" (محلا) is no compound of Allah; "Aladdin", "Claudine" and "Beaudin" no compounds of ad-Din
    assert prepare_name("Mohamed MAHALLA", "person").skeleton_full == "mhl mhmd"
    assert prepare_name("Aladdin Bey", "person").skeleton_full == "b ldn"
    assert prepare_name("Claudine Bernard Beaudin", "person").skeleton == ("cldn", "brnrd", "bdn")


@pytest.mark.parametrize(
    ("cyrillic", "latin"),
    [
        ("Ігар Пятровіч СЕРГЯЕНКА", "Igor Petrovitj SERGEJENKO"),  # г / g, я / e, EU's -itj
        ("ВОЛКАЎ Аляксей Аляксандравіч", "VOLKOV Alexey Aleksandrovich"),  # ў / v
        ("Аляксандр Дзмітрыевіч АГАФОНАЎ", "Aleksandr Dmitrijevitj AGAFONOV"),  # дз / d
        ("Сергей Леонидович КАЛИННИК", "KALINNIK Siarhei Leanidavich"),  # Belarusian romanisation of a Russian name
        ("Уладзімір Сцяпанавіч КАРАНІК", "Vladimir Stepanovitj KARANIK"),  # a first у before л or с is в
        ("Іван Юр'евіч САКАЛОЎСКІ", "Ivan Jurjevitj SOKOLOVSKIJ"),  # оў / ov, where folding makes "ou" a "u"
    ],
)
def test_belarusian_and_russian_forms_share_the_east_slavic_skeletons(cyrillic: str, latin: str) -> None:
    a, b = prepare_name(cyrillic, "person"), prepare_name(latin, "person")
    assert a.slavic_full is not None
    assert a.slavic_full == b.slavic_full
    assert "V:" + a.slavic_full in b.index_keys()


def test_arabic_script_names_have_no_east_slavic_skeleton() -> None:
    # h and g are letters of their own in Arabic: "غسان" (Ghassan) must not meet "Hassan" at the East Slavic level
    assert prepare_name("غسان جودة إسماعيل", "person").slavic_full is None
    assert prepare_name("Ghassan Jaoudat ISMAIL", "person").slavic_full is not None  # a Latin name has one
