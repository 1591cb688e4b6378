"""Name pools of the synthetic corpus, splittable into disjoint train and held-out sets.

Teams: Russian clubs (Cyrillic), clubs and national teams in Latin script with diacritics, apostrophes,
hyphens and several words (``Côte d'Ivoire``, ``Saint-Étienne``, ``Bosnia and Herzegovina``), national
teams in Cyrillic. Players: Russian first names and surnames, foreign players as the Russian press writes
them (``Ким Мин-джэ``, ``Н'Голо Канте``), Latin-script given names and surnames (``Agüero``, ``Džemaili``,
``O'Shea``, ``van Dijk``) and single names (``Vinícius Jr.``). Every pool also gets names generated from
syllables that no lexicon knows.

:func:`name_pools` splits each pool by a salted hash of each name: the same ``seed`` gives the ``train`` and
``heldout`` splits disjoint sets (first names and surnames are split separately, so a held-out full name
shares no word with a training one).
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from functools import lru_cache

SPLITS = ("train", "heldout")
HELDOUT_SHARE = 0.25

RU_FOOTBALL = ("Зенит", "Спартак", "ЦСКА", "Рубин", "Краснодар", "Оренбург", "Ростов", "Динамо", "Локомотив",
               "Урал", "Крылья Советов", "Ахмат", "Акрон", "Факел", "Пари НН", "Химки", "Сочи", "Торпедо",
               "Балтика", "Шинник", "Алания", "Черноморец", "Кубань", "Томь", "Арсенал", "Енисей", "Волга",
               "Сибирь", "Луч", "Тюмень", "Ротор", "Чайка", "Велес", "Родина", "Знамя Труда", "КАМАЗ",
               "Динамо Махачкала", "СКА-Хабаровск", "Нефтехимик", "Текстильщик", "Спартак-Нальчик",
               "Металлург-Кузбасс", "Жемчужина", "Машук-КМВ", "Амкар")
RU_HOCKEY = ("СКА", "Авангард", "Ак Барс", "Металлург", "Трактор", "Салават Юлаев", "Северсталь",
             "Автомобилист", "ЦСКА", "Динамо", "Спартак", "Локомотив", "Сибирь", "Нефтехимик", "Торпедо",
             "Адмирал", "Амур", "Барыс", "Лада", "Витязь", "Куньлунь Ред Стар", "Динамо Минск", "Шанхайские Драконы",
             "Сочи", "Молот-Прикамье", "Рубин", "Ижсталь", "Химик", "Буран", "Южный Урал")
RU_BASKETBALL = ("ЦСКА", "УНИКС", "Зенит", "Локомотив-Кубань", "Парма", "Енисей", "Автодор", "Нижний Новгород",
                 "Самара", "Химки", "Уралмаш", "МБА-МАИ", "Бетсити Парма", "Пари Нижний Новгород", "Руна",
                 "Спартак Приморье", "Динамо Москва", "Университет-Югра", "Темп-СУМЗ", "Иркут")
LATIN_FOOTBALL = ("Saint-Étienne", "Olympique Lyonnais", "Borussia Mönchengladbach", "1. FC Köln",
                  "Atlético Madrid", "Deportivo Alavés", "Beşiktaş", "Fenerbahçe", "Galatasaray", "Ferencváros",
                  "Slavia Praha", "Dinamo Zagreb", "Crvena zvezda", "Malmö FF", "Brøndby IF",
                  "Vitória de Guimarães", "São Paulo", "Grêmio", "Atlético Mineiro", "Peñarol",
                  "Universidad Católica", "Club Brugge", "Sporting CP", "Wisła Kraków", "Legia Warszawa",
                  "Real Sociedad", "Athletic Club", "Hellas Verona", "Paris Saint-Germain", "Stade Rennais",
                  "Újpest", "Bayer Leverkusen", "Eintracht Frankfurt", "Górnik Zabrze", "Sparta Rotterdam",
                  "Rosenborg", "Young Boys", "Red Bull Salzburg", "Qarabağ", "Lokomotiv Plovdiv")
LATIN_HOCKEY = ("Kärpät", "HIFK", "Färjestad BK", "Frölunda HC", "Djurgårdens IF", "Lukko", "Tappara",
                "HC Davos", "ZSC Lions", "Eisbären Berlin", "Kölner Haie", "Sparta Praha", "Dynamo Pardubice",
                "Ilves", "Växjö Lakers", "Luleå HF", "Skellefteå AIK", "EHC Biel-Bienne", "Fribourg-Gottéron",
                "Red Bull München", "Jokerit", "Brynäs IF", "Třinec", "Vítkovice")
LATIN_BASKETBALL = ("Fenerbahçe Beko", "Anadolu Efes", "Žalgiris", "Partizan", "Panathinaikos", "Olympiacos",
                    "Baskonia", "Real Madrid", "FC Barcelona", "Olimpia Milano", "ALBA Berlin", "Bayern München",
                    "Maccabi Tel Aviv", "AS Monaco", "Virtus Bologna", "Valencia Basket", "Paris Basketball",
                    "Cedevita Olimpija", "Budućnost", "Lietkabelis", "Unicaja Málaga", "Türk Telekom",
                    "Bahçeşehir Koleji", "Rytas Vilnius")
NATIONS_LATIN = ("Côte d'Ivoire", "Türkiye", "Curaçao", "Bosnia and Herzegovina", "São Tomé and Príncipe",
                 "Trinidad and Tobago", "North Macedonia", "Czechia", "New Zealand", "Saudi Arabia",
                 "South Korea", "Cabo Verde", "Guinea-Bissau", "Timor-Leste", "DR Congo", "Papua New Guinea",
                 "Antigua and Barbuda", "Burkina Faso", "Costa Rica", "El Salvador", "Faroe Islands",
                 "Northern Ireland", "Republic of Ireland", "Iceland", "Kyrgyzstan", "Uzbekistan", "Qatar",
                 "Jamaica", "Réunion", "Mali", "Senegal", "Croatia", "Brazil", "Argentina", "Portugal",
                 "Germany", "Poland", "Serbia", "Norway", "Morocco", "Japan", "Ecuador", "Paraguay", "Wales")
NATIONS_RU = ("Кот-д'Ивуар", "Босния и Герцеговина", "Новая Зеландия", "Саудовская Аравия", "Южная Корея",
              "Северная Македония", "Буркина-Фасо", "Коста-Рика", "Гвинея-Бисау", "Кабо-Верде", "Сербия",
              "Хорватия", "Бразилия", "Аргентина", "Португалия", "Германия", "Польша", "Норвегия", "Марокко",
              "Япония", "Узбекистан", "Катар", "Ямайка", "Исландия", "Черногория", "Беларусь", "Казахстан")

RU_FIRST = ("Алексей", "Андрей", "Дмитрий", "Сергей", "Иван", "Никита", "Максим", "Артём", "Кирилл", "Егор",
            "Илья", "Михаил", "Роман", "Павел", "Денис", "Антон", "Владимир", "Николай", "Игорь", "Даниил",
            "Александр", "Георгий", "Олег", "Фёдор", "Вячеслав", "Юрий", "Глеб", "Тимофей", "Арсений", "Матвей",
            "Всеволод", "Ярослав", "Лев", "Станислав", "Виталий", "Руслан", "Эдуард", "Константин", "Пётр", "Семён")
RU_SURNAMES = ("Смирнов", "Иванов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов",
               "Волков", "Соловьёв", "Васильев", "Зайцев", "Павлов", "Семёнов", "Голубев", "Виноградов",
               "Богданов", "Воробьёв", "Фёдоров", "Михайлов", "Беляев", "Тарасов", "Белов", "Комаров", "Орлов",
               "Киселёв", "Макаров", "Андреев", "Ковалёв", "Ильин", "Гусев", "Титов", "Кузьмин", "Кудрявцев",
               "Баранов", "Куликов", "Алексеев", "Степанов", "Яковлев", "Сорокин", "Сергеев", "Романов",
               "Захаров", "Борисов", "Королёв", "Герасимов", "Пономарёв", "Григорьев", "Лазарев", "Медведев",
               "Ершов", "Никитин", "Соболев", "Крылов", "Жуков", "Щербаков", "Горбунов", "Колесников", "Карпов",
               "Мостовой", "Тюкавин", "Глушенков", "Баталов", "Сафонов", "Чалов", "Дзюба", "Шевченко", "Ткаченко",
               "Бондаренко", "Коваленко", "Ахметов", "Гайнуллин", "Хайруллин", "Шарипзянов", "Галиев",
               "Мухаметов", "Абдуллаев", "Алиев", "Гасанов", "Тагиров", "Кадыров", "Осипов", "Рахимов",
               "Долгих", "Черных", "Седых", "Бугаев", "Прохоров", "Журавлёв")
RU_FOREIGN = ("Ким Мин-джэ", "Н'Голо Канте", "Луиз Энрике", "Джон Кордоба", "Жоау Фелиш", "Серхио Агуэро",
              "Томас Мюллер", "Сон Хын Мин", "Жан-Филипп Матета", "Пьер-Эмерик Обамеянг", "Вирджил ван Дейк",
              "Кевин Де Брёйне", "Мунир Мохамеди", "Манфред Угальде", "Бительо", "Вендел", "Жерсон Сантус",
              "Мохамед Салах", "Ласина Траоре", "Матео Кассьерра", "Кристофер Мартинс", "Мойзес", "Вильмар Барриос",
              "Нэйр Тикнизян", "Джален Рейнольдс", "Тони Сантос", "Ален Гальяно", "Хван Ин Бом")
LATIN_FIRST = ("João", "Vinícius", "N'Golo", "Sergio", "Thomas", "Blerim", "Granit", "Jürgen", "Łukasz",
               "Zlatan", "Luka", "Iñaki", "Dušan", "Mesut", "Hakan", "Çağlar", "Ørjan", "Søren", "Kylian",
               "Aurélien", "Ousmane", "Mohamed", "Achraf", "Sadio", "Kalidou", "Takumi", "Heung-min",
               "Jean-Philippe", "Pierre-Emerick", "Marc-André", "Rúben", "Gonçalo", "Bernardo", "Ángel",
               "Julián", "Enzo", "Lautaro", "Darwin", "Federico", "Martín", "Raphaël", "Stefan", "Kai",
               "Florian", "Seán", "Ciarán", "Björn", "Mikkel", "Andrés", "Nélson", "François", "Jérôme",
               "Leroy", "Wojciech", "Arkadiusz", "Milan", "Nikola", "Ilkay", "Yassine", "Bukayo")
LATIN_SURNAMES = ("Agüero", "Müller", "Džemaili", "Félix", "Kanté", "O'Shea", "Çalhanoğlu", "Özil", "Modrić",
                  "Lewandowski", "Szczęsny", "Błaszczykowski", "Ibrahimović", "Vlahović", "Jovanović",
                  "Højlund", "Ødegaard", "Sørloth", "Mbappé", "Tchouaméni", "Dembélé", "Griezmann", "Koulibaly",
                  "Hakimi", "Mané", "Martínez", "Álvarez", "Fernández", "Núñez", "Valverde", "Gonçalves",
                  "Neves", "Leão", "Džeko", "Pjanić", "Kolašinac", "Škriniar", "Hamšík", "Söyüncü", "Yıldız",
                  "Güler", "van Dijk", "de Jong", "ter Stegen", "Alexander-Arnold", "Oxlade-Chamberlain",
                  "Milinković-Savić", "Zaïre-Emery", "Mac Allister", "De Bruyne", "dos Santos", "El Shaarawy",
                  "Ben Yedder", "O'Brien", "McGrath", "Gündoğan", "Wirtz", "Kimmich", "Sané", "Gvardiol",
                  "Kovačić", "Šimić", "Kubát", "Růžička", "Nørgaard", "Sæther", "Nakamura", "Minamino",
                  "Mitoma", "Ndiaye", "Diallo", "Traoré", "Bounou", "Ziyech", "Aït-Nouri", "Sarr")
LATIN_SINGLE = ("Vinícius Jr.", "Rodrygo", "Casemiro", "Pedri", "Gavi", "Neymar", "Marquinhos", "Éder Militão",
                "Raphinha", "Fabinho", "Jorginho", "Kaká", "Hulk", "Pepê", "Gabriel Jesus", "Bruno Guimarães")

_SYLLABLES_RU = ("ба", "ве", "го", "да", "ле", "ми", "но", "ра", "са", "то", "ку", "ша", "зо", "ли", "ре", "ва",
                 "ки", "ло", "пе", "ту", "ня", "дро", "кра", "сте", "гри", "бу", "мо", "се")
_SYLLABLES_LA = ("ba", "ve", "go", "da", "le", "mi", "no", "ra", "sa", "to", "ku", "sha", "zo", "li", "re", "va",
                 "ki", "lo", "pe", "tu", "dro", "kra", "ste", "gri", "bu", "mo", "se", "ša", "çe", "ñu", "ø", "é")
_ENDINGS_RU = ("ов", "ев", "ин", "ский", "енко", "ян", "швили", "ук")
_ENDINGS_LA = ("ić", "ez", "son", "elli", "ou", "inho", "sen", "oğlu", "ski", "é")
_TEAM_SUFFIX_RU = ("", "", " Юнайтед", "-2", " Сити")
_TEAM_SUFFIX_LA = (" FC", " United", " City", " SC", "", " Athletic")


@dataclass(frozen=True)
class NamePools:
    """The names one split may use; every tuple is sorted and non-empty."""

    split: str
    ru_teams: dict[str, tuple[str, ...]]      # sport -> Russian clubs (Cyrillic)
    latin_teams: dict[str, tuple[str, ...]]   # sport -> clubs in Latin script
    nations_latin: tuple[str, ...]
    nations_ru: tuple[str, ...]
    ru_first: tuple[str, ...]
    ru_surnames: tuple[str, ...]
    ru_foreign: tuple[str, ...]               # full foreign names in Cyrillic
    latin_first: tuple[str, ...]
    latin_surnames: tuple[str, ...]
    latin_single: tuple[str, ...]


def _in_split(name: str, seed: int, split: str) -> bool:
    digest = hashlib.sha256(f"{seed}\x00{name}".encode()).digest()
    held = int.from_bytes(digest[:4], "big") / 2**32 < HELDOUT_SHARE
    return held == (split == "heldout")


def _generated(rng: random.Random, syllables: tuple[str, ...], endings: tuple[str, ...], n: int,
               capitalise: bool = True) -> list[str]:
    out = []
    for _ in range(n):
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(1, 3))) + rng.choice(endings)
        out.append(word[:1].upper() + word[1:] if capitalise else word)
    return out


def _generated_teams(rng: random.Random, syllables: tuple[str, ...], endings: tuple[str, ...],
                     suffixes: tuple[str, ...], n: int) -> list[str]:
    return [w + rng.choice(suffixes) for w in _generated(rng, syllables, endings, n)]


_GENERIC = {"fc", "city", "united", "sc", "athletic", "сити", "юнайтед", "and", "of", "the", "de", "dos", "van",
            "ter", "mac", "el", "ben", "club", "hc", "if", "bk", "ff", "as", "jr", "aik"}


def name_words(name: str) -> set[str]:
    """The words of a name that identify it (not ``FC``, ``United``, ``and``...)."""
    words = (w.strip("'.").casefold() for w in name.replace("-", " ").split())
    return {w for w in words if len(w) >= 3 and w not in _GENERIC}


def _candidates(seed: int) -> dict[str, tuple[str, ...]]:
    """Every pool before the split (generated names depend on ``seed`` only, not on the split)."""
    rng = random.Random(f"names:{seed}")
    gen_ru = _generated_teams(rng, _SYLLABLES_RU, ("", "н", "ар", "ия"), _TEAM_SUFFIX_RU, 60)
    gen_la = _generated_teams(rng, _SYLLABLES_LA, ("", "n", "r", "ia"), _TEAM_SUFFIX_LA, 60)
    pools = {f"ru_teams.{k}": (*v, *gen_ru[:20]) for k, v in
             (("football_match", RU_FOOTBALL), ("hockey_match", RU_HOCKEY), ("basketball_game", RU_BASKETBALL))}
    pools |= {f"latin_teams.{k}": (*v, *gen_la[:20]) for k, v in
              (("football_match", LATIN_FOOTBALL), ("hockey_match", LATIN_HOCKEY),
               ("basketball_game", LATIN_BASKETBALL))}
    return pools | {
        "nations_latin": (*NATIONS_LATIN, *gen_la[20:]), "nations_ru": (*NATIONS_RU, *gen_ru[20:]),
        "ru_first": RU_FIRST, "ru_surnames": (*RU_SURNAMES, *_generated(rng, _SYLLABLES_RU, _ENDINGS_RU, 80)),
        "ru_foreign": RU_FOREIGN, "latin_first": LATIN_FIRST,
        "latin_surnames": (*LATIN_SURNAMES, *_generated(rng, _SYLLABLES_LA, _ENDINGS_LA, 80)),
        "latin_single": LATIN_SINGLE}


@lru_cache(maxsize=8)
def name_pools(seed: int = 0, split: str = "train") -> NamePools:
    """The ``split`` (``train`` or ``heldout``) of every pool under ``seed``. The two splits of one seed share
    no name and no identifying word: a held-out name that shares a word with a training name (``Динамо
    Москва`` and ``Динамо``) is left out of both."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    pools = _candidates(seed)
    train_words = {w for names in pools.values() for n in names if _in_split(n, seed, "train") for w in name_words(n)}

    def part(names: tuple[str, ...]) -> tuple[str, ...]:
        kept = {n for n in names if _in_split(n, seed, split)}
        if split == "heldout":
            kept = {n for n in kept if not name_words(n) & train_words}
        return tuple(sorted(kept))

    fields = {k: part(v) for k, v in pools.items() if "." not in k}
    teams = {group: {k.split(".")[1]: part(v) for k, v in pools.items() if k.startswith(group + ".")}
             for group in ("ru_teams", "latin_teams")}
    return NamePools(split=split, **teams, **fields)


def all_names(pools: NamePools) -> set[str]:
    """Every name and name part of a split (for disjointness checks)."""
    out: set[str] = set()
    for value in vars(pools).values():
        if isinstance(value, dict):
            for names in value.values():
                out.update(names)
        elif isinstance(value, tuple):
            out.update(value)
    return out
