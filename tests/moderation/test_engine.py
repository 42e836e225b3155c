"""The text policy: what blocks, what is reviewed, what passes, and what each verdict says."""

from __future__ import annotations

import pytest

from moderation.policy import Category, Decision, Match, check, default_engine
from moderation.policy.lexicon import default_lexicon


def rules(text: str, context: str = "prompt") -> list[str]:
    return list(check(text, context=context).rule_ids)


def decision(text: str, context: str = "prompt") -> Decision:
    return check(text, context=context).decision


# -- what blocks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Emmanuel Macron dancing on a table", "pf:emmanuel-macron"),
        ("Macron qui danse", "pf:emmanuel-macron"),
        ("Poutine à cheval dans la neige", "pf:vladimir-putin"),
        ("Le pape François fait du surf", "pf:pope-francis"),
        ("Napoléon Bonaparte sur un cheval blanc", "pf:napoleon-bonaparte"),
        ("Jeanne d'Arc en armure", "pf:jeanne-darc"),
        ("Kate Middleton en robe bleue", "pf:kate-middleton"),
        ("Squeezie qui joue en live", "pf:squeezie"),
    ],
)
def test_a_public_figure_blocks(text, rule):
    verdict = check(text)
    assert verdict.decision is Decision.BLOCK
    assert verdict.categories == (Category.PUBLIC_FIGURE,)
    assert rule in verdict.rule_ids


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Dark Vador qui fait la cuisine", "cr:darth-vader"),
        ("La Reine des neiges patine sur un lac", "cr:frozen"),
        ("Bob l'éponge au fond de la mer", "cr:spongebob"),
        ("Sangoku fait un kamehameha", "cr:goku"),
        ("Les Schtroumpfs dans la forêt", "cr:smurfs"),
        ("a village in the style of Studio Ghibli", "cr:studio-ghibli"),
        ("Pikachu in the rain", "cr:pikachu"),
    ],
)
def test_a_copyrighted_character_franchise_or_studio_blocks(text, rule):
    verdict = check(text)
    assert verdict.decision is Decision.BLOCK
    assert verdict.categories == (Category.COPYRIGHT,)
    assert rule in verdict.rule_ids


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("a child playing in the sand", "minor:child-words"),
        ("un bébé qui rit dans son bain", "minor:baby-words"),
        ("une ado dans sa chambre", "minor:teen-words"),
        ("a schoolgirl walking home", "minor:school-words"),
        ("a little girl holding balloons", "minor:young-person"),
        ("une mineure dans une boîte de nuit", "minor:minor-words"),
        ("loli anime girl", "minor:sexualised"),
        ("a 12-year-old girl dancing", "minor:age-digits"),
        ("a 9 y.o. girl in a garden", "minor:age-digits"),
        ("a 10yo playing piano", "minor:age-digits"),
        ("a girl aged 11 on a swing", "minor:age-digits"),
        ("une fille de 12 ans à la plage", "minor:age-digits"),
        ("elle a 14 ans et elle nage", "minor:age-digits"),
        ("pour ses 8 ans", "minor:age-digits"),
        ("a twelve-year-old boy on a bike", "minor:age-words"),
        ("une fille de douze ans", "minor:age-words"),
        ("elle a dix-sept ans", "minor:age-words"),
        ("my daughter's 8th birthday party", "minor:age-digits"),
    ],
)
def test_a_minor_described_as_a_person_blocks(text, rule):
    verdict = check(text)
    assert verdict.decision is Decision.BLOCK
    assert Category.MINOR in verdict.categories
    assert rule in verdict.rule_ids


@pytest.mark.parametrize(
    "text",
    [
        "an 18-year-old student",
        "une femme de 35 ans",
        "elle a dix-huit ans",
        "twenty-two years old",
        "vingt-deux ans",
    ],
)
def test_an_adult_age_is_not_a_minor(text):
    assert decision(text) is Decision.ALLOW


# -- evasions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("EMMANUEL MACRON", "pf:emmanuel-macron"),  # case
        ("beyonce in a golden dress", "pf:beyonce"),  # accents
        ("E m m a n u e l  M a c r o n au ski", "pf:emmanuel-macron"),  # inserted spaces
        ("m.a.c.r.o.n qui danse", "pf:emmanuel-macron"),  # inserted dots
        ("Ma cron au volant", "pf:emmanuel-macron"),  # a word cut in two
        ("Donald Trrrrump eating a burger", "pf:donald-trump"),  # repeated letters
        ("obamaaaa in a pool", "pf:barack-obama"),
        ("M4cr0n qui fait du vélo", "pf:emmanuel-macron"),  # digits for letters
        ("P1k4chu in a forest", "cr:pikachu"),
        ("Bаrаck Оbаmа skateboarding", "pf:barack-obama"),  # Cyrillic look-alikes
        ("Τaylor Ѕwift on stage", "pf:taylor-swift"),  # Greek and Cyrillic look-alikes
        ("Ｍｉｃｋｅｙ Ｍｏｕｓｅ in a spaceship", "cr:mickey-mouse"),  # fullwidth
        ("Tay\u200blor Sw\u200bift at the beach", "pf:taylor-swift"),  # zero-width characters
        ("#ElonMusk launching a rocket", "pf:elon-musk"),  # hashtag
        ("Spiderman eating pizza", "cr:spider-man"),  # words joined
        ("a k1d on a swing", "minor:child-words"),
        ("b-a-b-y crawling on the floor", "minor:baby-words"),
        ("a Тeenager dancing", "minor:teen-words"),
    ],
)
def test_evasions_fold_back_to_the_name(text, rule):
    assert rule in rules(text)
    assert decision(text) is Decision.BLOCK


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Mark Zuckerburg on a boat", "pf:mark-zuckerberg"),
        ("Hermoine Granger in class", "cr:hermione-granger"),
        ("Sarkosy au marché", "pf:nicolas-sarkozy"),
        ("Arnold Schwarzeneger lifting weights", "pf:arnold-schwarzenegger"),
        ("Chewbaca on a motorbike", "cr:chewbacca"),
    ],
)
def test_a_misspelled_name_is_sent_to_review(text, rule):
    verdict = check(text)
    assert verdict.decision is Decision.REVIEW
    hit = next(h for h in verdict.rules if h.rule == rule)
    assert hit.match is Match.FUZZY
    assert hit.action is Decision.REVIEW


# -- false positives ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a baby elephant following its mother",
        "un bébé phoque sur la banquise",
        "a kid goat jumping on rocks",
        "a trump card on a green felt table",
        "an apple falling from a tree",
        "the Jordan river at dawn",
        "a family of dinosaurs walking through a fern forest",
        "a young cat chasing a butterfly",
        "a school of fish swirling around a reef",
        "Paris at night from Montmartre",
        "a plate of poutine with gravy and cheese curds",
        "un macaron à la framboise",
        "a plate of ratatouille in a Provence kitchen",
        "pink flamingos in a lake",
        "a prince in a fairy tale castle",
        "a black panther prowling in the jungle",
        "a barman mixing a cocktail",
        "yoga on the beach at sunrise",
        "a messy room after a party",
        "walking down avenue Victor Hugo at night",
        "l'aéroport Charles de Gaulle au lever du soleil",
        "un champ de tulipes en Hollande",
        "ten cats sleeping on a sofa",
        "il y a 10 ans, cette rue était vide",
        "a 10-year-old whisky in a glass",
        "my 10 year old cat sleeping by the fire",
        "a children's book illustration of a fox",
        "a mother elephant with her baby",
        "a boy band performing on stage",
        "les fleurs du jardin",
        "Adèle fait du vélo dans la campagne",
        "Donald, a retired fisherman, mending nets",
        "a snow white landscape",
    ],
)
def test_traps_are_allowed(text):
    verdict = check(text)
    assert verdict.decision is Decision.ALLOW, verdict.rules


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Jordan dunking in a Bulls jersey", "pf:michael-jordan"),
        ("Madonna singing on stage", "pf:madonna"),
        ("Prince playing a purple guitar", "pf:prince-musician"),
        ("the Apple logo glowing on a laptop", "tm:apple"),
        ("Mario jumping on a mushroom", "cr:mario"),
    ],
)
def test_an_everyday_word_counts_as_a_name_only_with_context(text, rule):
    assert rule in rules(text)


def test_the_alias_itself_is_never_its_own_context():
    assert decision("Mario the baker making bread") is Decision.ALLOW


# -- the verdict ------------------------------------------------------------------------------------


def test_the_verdict_names_each_rule_with_the_words_that_fired_it():
    verdict = check("Dark Vad0r et Pikachu avec un enfant de 5 ans")
    assert verdict.decision is Decision.BLOCK
    assert verdict.categories == (Category.MINOR, Category.COPYRIGHT)
    hits = {h.rule: h for h in verdict.rules}
    assert hits["cr:darth-vader"].matched == "Dark Vad0r"
    assert hits["cr:darth-vader"].match is Match.NORMALISED
    assert hits["cr:pikachu"].matched == "Pikachu"
    assert hits["cr:pikachu"].match is Match.EXACT
    assert hits["minor:age-digits"].matched == "5 ans"
    assert hits["minor:child-words"].matched == "enfant"


def test_rules_are_listed_in_the_order_of_the_text_once_each():
    verdict = check("Pikachu, Macron, and Pikachu again")
    assert verdict.rule_ids == ("cr:pikachu", "pf:emmanuel-macron")


def test_the_verdict_carries_the_policy_version():
    verdict = check("un chat")
    assert verdict.policy_version == default_lexicon().version != ""
    assert verdict.to_dict() == {
        "decision": "allow",
        "categories": [],
        "rules": [],
        "policy_version": verdict.policy_version,
    }


def test_a_name_inside_a_longer_name_is_not_reported_separately():
    assert rules("Michelle Obama waving") == ["pf:michelle-obama"]
    assert rules("Baby Yoda sipping soup") == ["cr:grogu"]
    assert rules("Michelle Obama and Obama") == ["pf:michelle-obama", "pf:barack-obama"]


def test_a_name_cut_into_ordinary_words_is_reviewed_and_into_fragments_blocked():
    assert check("Bat man on a rooftop").decision is Decision.REVIEW
    assert check("Ma cron au volant").decision is Decision.BLOCK


def test_a_place_named_after_a_person_is_not_the_person():
    assert rules("l'aéroport Charles de Gaulle") == []
    assert rules("le lycée Victor Hugo sous la neige") == []
    assert rules("Charles de Gaulle airport at night") == []
    assert rules("le général de Gaulle à la radio") == ["pf:charles-de-gaulle"]


def test_an_unknown_noun_before_a_french_age_is_reviewed():
    verdict = check("une surfeuse de 12 ans")
    assert verdict.decision is Decision.REVIEW
    assert verdict.rule_ids == ("minor:age-digits",)


def test_a_long_text_is_checked_in_reasonable_time():
    import time

    text = ("M4cr0n p1k4chu 0bama k1d, a b c d e f g, Путин 東京 " * 120)[:5000]
    started = time.perf_counter()
    verdict = check(text)
    assert time.perf_counter() - started < 1.0
    assert verdict.decision is Decision.BLOCK


def test_a_trademark_is_sent_to_review_not_blocked():
    verdict = check("a Starbucks cup in the snow")
    assert verdict.decision is Decision.REVIEW
    assert verdict.categories == (Category.TRADEMARK,)


def test_a_comment_is_reviewed_where_a_prompt_would_block():
    assert decision("Macron a bien parlé hier", context="comment") is Decision.REVIEW
    assert decision("Macron a bien parlé hier", context="prompt") is Decision.BLOCK
    assert decision("Superbe vidéo !", context="comment") is Decision.ALLOW


def test_an_unknown_context_is_a_programming_error():
    with pytest.raises(ValueError, match="context"):
        check("un chat", context="title")


def test_the_engine_is_built_once_per_process():
    assert default_engine() is default_engine()


@pytest.mark.parametrize(
    "text", ["the Pope skateboarding in Rome", "Puss in Boots with big sad eyes"]
)
def test_an_alias_marked_uncertain_is_sent_to_review(text):
    assert check(text).decision is Decision.REVIEW


def test_a_famous_first_name_counts_only_next_to_its_context():
    assert rules("Kate and William on the balcony of Buckingham") == [
        "pf:kate-middleton",
        "pf:prince-william",
    ]
    assert rules("William goes fishing") == []
    assert rules("Kate bakes a cake") == []
    assert rules("Kylian qui marque un but") == ["pf:kylian-mbappe"]


def test_a_style_named_after_a_person_is_not_the_person():
    assert rules("a Louis XIV style armchair") == []
    assert rules("Marie Antoinette style dress in a museum") == []
