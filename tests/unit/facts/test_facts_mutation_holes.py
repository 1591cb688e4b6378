"""Holes the checker's mutation benchmark (bench/facts.py) found: true template notes that failed, and wrong
claims that passed. Each true text passes; each wrong one fails with the right kind at the right place."""
import pytest

from facts_cases import LEXICON, assert_fails
from newsgen.config import ROOT
from newsgen.facts import check
from newsgen.records import RecordValidator

VALIDATOR = RecordValidator(ROOT / "schemas")

_RAW = {
    "skp-fck": {
        "type": "football_match", "id": "skp-fck", "status": "live", "date": "2027-03-12", "tournament": "Лига Европы",
        "round": "1/8 финала", "home": {"name": "Sporting CP"}, "away": {"name": "1. FC Köln"},
        "score": {"home": 2, "away": 0}, "elapsed": 76,
        "goals": [{"team": "home", "player": "Éder Militão", "minute": 61},
                  {"team": "home", "player": "Éder Militão", "minute": 68, "kind": "penalty"}],
    },
    "khi-vit": {
        "type": "hockey_match", "id": "khi-vit", "status": "finished", "date": "2026-11-05", "tournament": "КХЛ",
        "home": {"name": "Химик"}, "away": {"name": "Витязь"}, "round": "плей-офф", "referee": "Игорь Саняняев",
        "score": {"home": 2, "away": 4},
        "goals": [
            {"team": "home", "player": "Максим Иванов", "time": "04:02", "assists": ["Виталий Мишвили", "Юрий Григорьев"]},
            {"team": "away", "player": "Матвей Смирнов", "time": "32:08", "assists": ["Егор Воробьёв", "Манфред Угальде"], "strength": "power_play"},
            {"team": "home", "player": "Максим Иванов", "time": "39:15", "assists": ["Юрий Григорьев", "Даниил Кузьмин"]},
            {"team": "away", "player": "Манфред Угальде", "time": "41:00", "assists": ["Егор Воробьёв"], "strength": "power_play"},
            {"team": "away", "player": "Матвей Смирнов", "time": "43:31", "strength": "power_play"},
            {"team": "away", "player": "Матвей Смирнов", "time": "48:52", "assists": ["Антон Микиенко"], "strength": "short_handed"},
        ],
        "periods": [
            {"home": 1, "away": 0},
            {"home": 1, "away": 1},
            {"home": 0, "away": 3},
        ],
        "decided": "regulation",
        "penalties": [
            {"team": "home", "player": "Максим Иванов", "time": "20:00", "minutes": 4},
            {"team": "away", "player": "Егор Раский", "time": "21:35", "minutes": 4},
        ],
        "attendance": 1325,
    },
    "por-ant": {
        "type": "hockey_match", "id": "por-ant", "status": "finished", "date": "2026-11-19",
        "tournament": "Чемпионат мира", "home": {"name": "Portugal"}, "away": {"name": "Antigua and Barbuda"},
        "round": "групповой этап", "score": {"home": 1, "away": 4},
        "goals": [
            {"team": "away", "player": "Achraf Kramoson", "time": "04:01", "assists": ["Iñaki Ziyech"]},
            {"team": "away", "player": "Mesut Toshaski", "time": "34:19", "assists": ["Takumi Grinoé"], "strength": "short_handed"},
            {"team": "away", "player": "Achraf Kramoson", "time": "42:54"},
            {"team": "home", "player": "Yassine Álvarez", "time": "43:38", "assists": ["Mohamed Šavaoğlu"], "strength": "short_handed"},
            {"team": "away", "player": "Achraf Kramoson", "time": "52:13", "assists": ["Takumi Grinoé"]},
        ],
        "periods": [
            {"home": 0, "away": 1},
            {"home": 0, "away": 1},
            {"home": 1, "away": 2},
        ],
        "decided": "regulation",
        "penalties": [
            {"team": "home", "player": "Nélson Shavaez", "time": "02:26", "minutes": 2},
            {"team": "away", "player": "Achraf Kramoson", "time": "59:04", "minutes": 10},
            {"team": "home", "player": "Mohamed Šavaoğlu", "time": "17:49", "minutes": 2},
            {"team": "home", "player": "Pepê", "time": "33:21", "minutes": 2, "infraction": "удар клюшкой"},
        ],
    },
    "grn-vei": {
        "type": "hockey_match", "id": "grn-vei", "status": "finished", "date": "2027-01-03",
        "tournament": "Чемпионат мира", "home": {"name": "Грин Сити"}, "away": {"name": "Веия"},
        "round": "1/8 финала", "score": {"home": 6, "away": 1},
        "goals": [
            {"team": "away", "player": "Даниил Микиенко", "time": "07:01", "strength": "power_play"},
            {"team": "home", "player": "Тимофей Карпов", "time": "16:30", "assists": ["Лев Алексеев"]},
            {"team": "home", "player": "Ярослав Гришавеов", "time": "30:21"},
            {"team": "home", "player": "Ярослав Гришавеов", "time": "34:13", "assists": ["Павел Черных"], "penalty_shot": True},
            {"team": "home", "player": "Павел Черных", "time": "36:24", "assists": ["Тимофей Карпов", "Ярослав Гришавеов"]},
            {"team": "home", "player": "Павел Черных", "time": "39:01", "assists": ["Тимофей Карпов", "Лев Алексеев"]},
            {"team": "home", "player": "Павел Черных", "time": "40:18", "assists": ["Ярослав Гришавеов", "Всеволод Вабаский"]},
        ],
        "periods": [
            {"home": 1, "away": 1},
            {"home": 4, "away": 0},
            {"home": 1, "away": 0},
        ],
        "decided": "regulation",
    },
    "tul-qat": {
        "type": "hockey_match", "id": "tul-qat", "status": "live", "date": "2027-05-03",
        "tournament": "Чемпионат мира", "home": {"name": "Тулилоар Сити"}, "away": {"name": "Катар"},
        "round": "полуфинал", "score": {"home": 0, "away": 0}, "goals": [],
        "periods": [
            {"home": 0, "away": 0},
        ],
        "elapsed": "01:35",
        "penalties": [
            {"team": "away", "player": "Владимир Сагоян", "time": "01:00", "minutes": 5, "infraction": "подножка"},
            {"team": "away", "player": "Семён Белов", "time": "01:12", "minutes": 2},
            {"team": "away", "player": "Семён Белов", "time": "01:32", "minutes": 4, "infraction": "удар клюшкой"},
        ],
    },
    "met-gom": {
        "type": "hockey_match", "id": "met-gom", "status": "finished", "date": "2027-01-27", "tournament": "КХЛ",
        "home": {"name": "Металлург"}, "away": {"name": "Гомовеар"}, "round": "плей-офф",
        "score": {"home": 3, "away": 2},
        "goals": [
            {"team": "away", "player": "Егор Сеян", "time": "04:02"},
            {"team": "home", "player": "Даниил Гришавеов", "time": "19:55", "assists": ["Константин Микиенко"]},
            {"team": "home", "player": "Константин Микиенко", "time": "21:29", "assists": ["Пётр Леин"]},
            {"team": "away", "player": "Арсений Ершов", "time": "27:22", "assists": ["Егор Сеян", "Константин Хайруллин"]},
            {"team": "home", "player": "Константин Микиенко", "time": "64:47", "assists": ["Даниил Гришавеов", "Алексей Григорьев"]},
        ],
        "periods": [
            {"home": 1, "away": 1},
            {"home": 1, "away": 1},
            {"home": 0, "away": 0},
            {"home": 1, "away": 0},
        ],
        "decided": "overtime",
        "penalties": [
            {"team": "away", "player": "Максим Андреев", "time": "17:42", "minutes": 10, "infraction": "подножка"},
            {"team": "home", "player": "Даниил Нязоук", "time": "02:14", "minutes": 2, "infraction": "задержка клюшкой"},
            {"team": "away", "player": "Арсений Ершов", "time": "20:33", "minutes": 10},
        ],
        "attendance": 2718,
    },
    "lon-tra": {
        "type": "hockey_match", "id": "lon-tra", "status": "live", "date": "2026-11-11", "tournament": "КХЛ",
        "home": {"name": "Лон"}, "away": {"name": "Трактор"}, "round": "плей-офф",
        "score": {"home": 1, "away": 1},
        "goals": [
            {"team": "home", "player": "Игорь Тоноян", "time": "14:37", "assists": ["Владимир Тогриин"], "strength": "power_play"},
            {"team": "away", "player": "Артём Борисов", "time": "15:31"},
        ],
        "periods": [
            {"home": 1, "away": 1},
        ],
        "elapsed": "16:48",
        "penalties": [
            {"team": "away", "player": "Всеволод Ватузоев", "time": "03:45", "minutes": 2, "infraction": "задержка клюшкой"},
            {"team": "away", "player": "Сергей Дакуук", "time": "16:31", "minutes": 5, "infraction": "подножка"},
            {"team": "away", "player": "Артём Борисов", "time": "02:13", "minutes": 10, "infraction": "задержка клюшкой"},
        ],
    },
    "bry-rbm": {
        "type": "hockey_match", "id": "bry-rbm", "status": "finished", "date": "2026-10-23",
        "tournament": "Лига чемпионов", "home": {"name": "Brynäs IF"}, "away": {"name": "Red Bull München"},
        "round": "плей-офф", "score": {"home": 4, "away": 3},
        "goals": [
            {"team": "home", "player": "Ángel Pjanić", "time": "17:25", "assists": ["Ilkay Seić", "Bruno Guimarães"]},
            {"team": "away", "player": "Heung-min Rebuseou", "time": "18:02", "assists": ["Kai Batoou"], "penalty_shot": True},
            {"team": "home", "player": "Ángel Pjanić", "time": "26:44", "assists": ["Sergio Pesasen"], "strength": "power_play"},
            {"team": "away", "player": "Kai Batoou", "time": "28:54", "assists": ["Jorginho"], "strength": "power_play"},
            {"team": "away", "player": "Hakan Vadakraoğlu", "time": "35:55", "assists": ["Heung-min Rebuseou", "Sergio Félix"]},
            {"team": "home", "player": "Ángel Pjanić", "time": "38:29", "assists": ["Pierre-Emerick Szczęsny", "Bruno Guimarães"]},
            {"team": "home", "player": "Bruno Guimarães", "time": "40:22"},
        ],
        "periods": [
            {"home": 1, "away": 1},
            {"home": 2, "away": 2},
            {"home": 1, "away": 0},
        ],
        "decided": "regulation",
        "penalties": [
            {"team": "home", "player": "Ángel Pjanić", "time": "12:38", "minutes": 10},
            {"team": "away", "player": "Jorginho", "time": "59:27", "minutes": 2, "infraction": "грубость"},
            {"team": "home", "player": "Pierre-Emerick Szczęsny", "time": "36:55", "minutes": 10, "infraction": "подножка"},
            {"team": "home", "player": "Bruno Guimarães", "time": "17:38", "minutes": 2},
        ],
    },
    "bmg-atm": {
        "type": "football_match", "id": "bmg-atm", "status": "live", "date": "2026-09-27",
        "tournament": "Лига чемпионов", "home": {"name": "Borussia Mönchengladbach"},
        "away": {"name": "Atlético Madrid"}, "round": "полуфинал", "referee": "François Šavaoğlu",
        "score": {"home": 1, "away": 2},
        "goals": [
            {"team": "home", "player": "Björn Veić", "minute": 13, "kind": "penalty"},
            {"team": "away", "player": "Marquinhos", "minute": 23},
            {"team": "away", "player": "Achraf Mikuinho", "minute": 72},
        ],
        "elapsed": 86,
    },
    "din-nn": {
        "type": "basketball_game", "id": "din-nn", "status": "live", "date": "2027-01-12",
        "tournament": "Единая лига ВТБ", "home": {"name": "Динамо Москва"}, "away": {"name": "Нижний Новгород"},
        "round": "регулярный чемпионат", "score": {"home": 33, "away": 16},
        "quarters": [
            {"home": 33, "away": 16},
        ],
        "period": 1,
        "leaders": [
            {"team": "home", "player": "Фёдор Алексеев", "points": 33},
            {"team": "home", "player": "Жоау Фелиш", "points": 33, "rebounds": 5},
        ],
    },
    "gri-nn": {
        "type": "basketball_game", "id": "gri-nn", "status": "finished", "date": "2027-03-09",
        "tournament": "Единая лига ВТБ", "home": {"name": "Гристе-2"}, "away": {"name": "Нижний Новгород"},
        "round": "регулярный чемпионат", "score": {"home": 97, "away": 105},
        "quarters": [
            {"home": 31, "away": 30},
            {"home": 14, "away": 30},
            {"home": 18, "away": 27},
            {"home": 34, "away": 18},
        ],
        "leaders": [
            {"team": "home", "player": "Ярослав Стеин", "points": 18, "rebounds": 10},
            {"team": "away", "player": "Денис Андреев", "points": 18},
            {"team": "home", "player": "Юрий Дзюба", "points": 17, "rebounds": 4},
            {"team": "away", "player": "Станислав Леваов", "points": 12, "rebounds": 5},
        ],
        "attendance": 13724,
    },
    "pari-khi": {
        "type": "basketball_game", "id": "pari-khi", "status": "finished", "date": "2026-09-13",
        "tournament": "Единая лига ВТБ", "home": {"name": "Пари Нижний Новгород"}, "away": {"name": "Химки"},
        "round": "регулярный чемпионат", "score": {"home": 115, "away": 87},
        "quarters": [
            {"home": 18, "away": 29},
            {"home": 32, "away": 16},
            {"home": 34, "away": 18},
            {"home": 31, "away": 24},
        ],
        "leaders": [
            {"team": "home", "player": "Всеволод Даук", "points": 26, "assists": 11},
            {"team": "away", "player": "Матвей Королёв", "points": 25, "rebounds": 10},
            {"team": "away", "player": "Пётр Ильин", "points": 25},
        ],
    },
    "lie-ler": {
        "type": "basketball_game", "id": "lie-ler", "status": "live", "date": "2027-01-01",
        "tournament": "Евролига", "home": {"name": "Lietkabelis"}, "away": {"name": "Ler SC"},
        "round": "плей-офф", "score": {"home": 23, "away": 15},
        "quarters": [
            {"home": 23, "away": 15},
        ],
        "period": 1,
        "leaders": [
            {"team": "away", "player": "Søren Çesen", "points": 15, "assists": 5},
            {"team": "away", "player": "Enzo Ødroçeez", "points": 15, "rebounds": 1},
            {"team": "home", "player": "Gavi", "points": 10},
        ],
    },
}
RECORDS = {key: VALIDATOR.validate(rec).data for key, rec in _RAW.items()}

GRN_VEI = ("Команда «Грин Сити» обыграла команду «Веия» со счётом {} (Чемпионат мира, 1/8 финала, 3 января). Счёт по "
           "периодам: 1:1, 4:0, 1:0. Шайбы: 0:1 — Даниил Микиенко (07:01, в большинстве), 1:1 — Тимофей Карпов "
           "(16:30), 2:1 — Ярослав Гришавеов (30:21), 3:1 — Ярослав Гришавеов (34:13, со штрафного броска), 4:1 — "
           "Павел Черных (36:24), 5:1 — Павел Черных (39:01), 6:1 — Павел Черных (40:18). Хет-трик оформил Павел "
           "Черных. Дубль оформил Ярослав Гришавеов.")
TUL_QAT = ("Идёт 2-я минута матча «Тулилоар Сити» — «Катар» (Чемпионат мира, полуфинал): счёт {}. Счёт по "
           "периодам: 0:0. Штрафное время: «Тулилоар Сити» — 0 минут, «Катар» — 11 минут.")
MET_GOM = ("«Металлург» обыграл команду «Гомовеар» в овертайме со счётом {} (КХЛ, плей-офф, 27 января). Счёт по "
           "периодам: 1:1, 1:1, 0:0, овертайм — 1:0. Шайбы: 0:1 — Егор Сеян (04:02), 1:1 — Даниил Гришавеов (19:55), "
           "2:1 — Константин Микиенко (21:29), 2:2 — Арсений Ершов (27:22), 3:2 — Константин Микиенко (64:47). "
           "Победную шайбу в овертайме забросил Константин Микиенко. Матч посетили 2718 зрителей.")
LON_TRA = ("Идёт 17-я минута матча «Лон» — «Трактор» (КХЛ, плей-офф): счёт 1:1. Счёт по периодам: 1:1. Шайбы: 1:0 — "
           "Игорь Тоноян (14:37, в большинстве), 1:1 — Артём Борисов ({}).")
BRY_RBM = ("Brynäs IF beat Red Bull München 4-3 (Liga chempionov, play-offs, 23 October). Period scores: 1-1, 2-2, "
           "1-0. Goals: 1-0 Ángel Pjanić 17:25, 1-1 Heung-min Rebuseou 18:02 (PS), 2-1 Ángel Pjanić 26:44 (PP), 2-2 "
           "Kai Batoou 28:54 (PP), 2-3 Hakan Vadakraoğlu {}, 3-3 Ángel Pjanić 38:29, 4-3 Bruno Guimarães 40:22.")
BMG_ATM = ("Atlético Madrid lead Borussia Mönchengladbach 2-1 in the 86th minute (Liga chempionov, semi-final). "
           "Goals: 1-0 Björn Veić 13' (pen.)")
DIN_NN_EN = ("Dinamo Moskva lead Nizhny Novgorod 33-16 in the first quarter (VTB United League, regular season). "
             "Quarter scores: 33-16. Top scorer for Dinamo Moskva: {} (33 points).")
DIN_NN_RU = ("Идёт первая четверть матча «Динамо Москва» — «Нижний Новгород» (Единая лига ВТБ, регулярный "
             "чемпионат): счёт 33:16 в пользу команды «Динамо Москва». Счёт по четвертям: 33:16. Самым "
             "результативным у победителей стал {} (33 очка).")
GRI_NN = ("Nizhny Novgorod beat Griste-2 105-97 (VTB United League, regular season, 9 March). Quarter scores: 31-30, "
          "14-30, 18-27, 34-18. Top scorer for Nizhny Novgorod: {} (18 points). Top scorer for Griste-2: "
          "Yaroslav Stein (18 points, 10 rebounds). Attendance: 13,724.")
PARI_KHI = ("Команда «Пари Нижний Новгород» обыграла «Химки» со счётом 115:87 (Единая лига ВТБ, регулярный чемпионат, "
            "13 сентября). Счёт по четвертям: 18:29, 32:16, 34:18, 31:24. Самым результативным у победителей стал "
            "Всеволод Даук (26 очков, 11 передач), у проигравших — {} (25 очков, 10 подборов).")
LIE_LER = ("Lietkabelis lead Ler SC 23-15 in the first quarter (Evroliga, play-offs). Quarter scores: 23-15. Top scorer "
           "for Lietkabelis: Gavi (10 points). Top scorer for Ler SC: {} (15 points, 5 assists).")

# (record, task, language, text): true of the record
TRUE = [
    # the winner's score first after «обыграл» is the final score of an away win
    ("khi-vit", "summary", "ru", "«Витязь» обыграл «Химик» со счётом 4:2 (КХЛ, плей-офф, 5 ноября)."),
    ("por-ant", "summary", "ru", "Команда «Antigua and Barbuda» обыграла команду «Portugal» со счётом 4:1 "
                                 "(Чемпионат мира, групповой этап, 19 ноября)."),
    ("grn-vei", "note", "ru", GRN_VEI.format("6:1")),
    ("tul-qat", "note", "ru", TUL_QAT.format("0:0")),
    ("met-gom", "note", "ru", MET_GOM.format("3:2")),
    ("lon-tra", "note", "ru", LON_TRA.format("15:31")),
    ("bry-rbm", "note", "en", BRY_RBM.format("35:55")),
    # a goal list that names fewer goals than the record has is no false claim, if it ends
    ("bmg-atm", "note", "en", BMG_ATM + "."),
    ("bmg-atm", "note", "en", BMG_ATM + ", 1-1 Marquinhos 23', 1-2 Achraf Mikuinho 72'."),
    ("din-nn", "note", "en", DIN_NN_EN.format("Fyodor Alekseev")),
    ("din-nn", "note", "ru", DIN_NN_RU.format("Фёдор Алексеев")),
    ("gri-nn", "note", "en", GRI_NN.format("Denis Andreev")),
    ("pari-khi", "note", "ru", PARI_KHI.format("Матвей Королёв")),
    ("lie-ler", "note", "en", LIE_LER.format("Søren Çesen")),
]

# (record, task, language, text, kind, span): wrong, failing with ``kind`` at ``span`` (None: a missing fact)
WRONG = [
    # the lead given to the trailing side: «1. FC Köln» once read as two sentences, hiding the claim
    ("skp-fck", "note", "ru", "Идёт 76-я минута матча «Sporting CP» — «1. FC Köln» (Лига Европы, 1/8 финала): счёт 2:0 в "
                              "пользу команды «1. FC Köln».", "winner", "в пользу"),
    ("khi-vit", "summary", "ru", "«Витязь» обыграл «Химик» со счётом 5:2 (КХЛ, плей-офф, 5 ноября).", "score", "5:2"),
    ("khi-vit", "summary", "ru", "«Химик» обыграл «Витязь» со счётом 4:2 (КХЛ, плей-офф, 5 ноября).", "winner",
     "обыграл"),
    # 7:1 is a score, not the clock 07:01 of the record's first goal
    ("grn-vei", "note", "ru", GRN_VEI.format("7:1"), "score", "7:1"),
    # 1:0 is a score, not the clock 01:00 of a penalty
    ("tul-qat", "note", "ru", TUL_QAT.format("1:0"), "score", "1:0"),
    ("met-gom", "note", "ru", MET_GOM.format("4:2"), "score", "4:2"),
    # 16:31 is a clock of the record (another player's penalty), not Борисов's goal
    ("lon-tra", "note", "ru", LON_TRA.format("16:31"), "minute", "16:31"),
    ("bry-rbm", "note", "en", BRY_RBM.format("36:55"), "minute", "36:55"),
    # cut after "(pen.)": the dot is the abbreviation's, the goal list has no end
    ("bmg-atm", "note", "en", BMG_ATM, "truncated", BMG_ATM[BMG_ATM.index("Goals"):]),
    # the other 33-point leader of the same team: the record (and the template) ranks Алексеев first
    ("din-nn", "note", "en", DIN_NN_EN.format("Zhoau Felish"), "scorer", "Zhoau Felish"),
    ("din-nn", "note", "ru", DIN_NN_RU.format("Жоау Фелиш"), "scorer", "Жоау Фелиш"),
    # Griste-2's leader on Nizhny Novgorod's line
    ("gri-nn", "note", "en", GRI_NN.format("Yaroslav Stein"), "team", "Nizhny Novgorod"),
    # Ильин has no rebounds in the record: the 10 rebounds are Королёв's
    ("pari-khi", "note", "ru", PARI_KHI.format("Пётр Ильин"), "number", "10"),
    ("lie-ler", "note", "en", LIE_LER.format("Enzo Ødroçeez"), "number", "5"),
]


def _check(key: str, task: str, language: str, text: str):
    return check(RECORDS[key], text, task, language, lexicon=LEXICON)


@pytest.mark.parametrize("key,task,language,text", TRUE)
def test_true_texts_pass(key, task, language, text):
    verdict = _check(key, task, language, text)
    assert verdict.passed, [(m.kind, m.found, m.message) for m in verdict.mismatches]


@pytest.mark.parametrize("key,task,language,text,kind,span", WRONG)
def test_wrong_claims_fail_for_the_right_reason(key, task, language, text, kind, span):
    assert_fails(_check(key, task, language, text), text, kind, span)
