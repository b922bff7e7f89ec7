"""The console's dictionary against the contracts: every value of every enum in proto/ has a
Chinese and an English label in labels.json, so a new enum value without a label fails here; and
the console's own words exist in both languages."""
import json
import pathlib
import re
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "Services" / "Gateway" / "Sources" / "Console"


def contract_enum_values() -> set[str]:
    """Every enum value the contracts declare (JSON names them by these), less the zero values."""
    values = set()
    for proto in (ROOT / "proto" / "governance").rglob("*.proto"):
        for body in re.findall(r"\benum \w+ \{(.*?)\}", proto.read_text(), re.S):
            for name in re.findall(r"^\s*([A-Z][A-Z0-9_]*)\s*=\s*\d+\s*;", body, re.M):
                if not name.endswith("_UNSPECIFIED"):
                    values.add(name)
    return values


class LabelsTest(unittest.TestCase):
    def test_every_enum_value_of_the_contracts_has_both_labels(self):
        labels = json.loads((CONSOLE / "labels.json").read_text())["enums"]
        values = contract_enum_values()
        self.assertGreater(len(values), 250)
        missing = sorted(value for value in values if value not in labels)
        self.assertEqual(missing, [], "enum values without a label in labels.json")
        for value in values:
            zh, en = labels[value].get("zh", ""), labels[value].get("en", "")
            self.assertTrue(zh and en, f"{value} needs both labels")
            # A Chinese label is Chinese: no untranslated word (credit grades such as AAA aside).
            self.assertIsNone(re.search(r"[a-z]{2,}|[A-Z]{2,}_", zh), f"{value}: '{zh}' is not Chinese")
            self.assertNotEqual(en, value, f"{value}: the English label is the raw value")
        stale = sorted(set(labels) - values)
        self.assertEqual(stale, [], "labels for values the contracts no longer have")

    def test_the_console_words_exist_in_both_languages(self):
        source = (CONSOLE / "i18n.js").read_text()
        blocks = re.search(r"const UI = \{\s*zh: \{(.*?)\n  \},\s*en: \{(.*?)\n  \},\s*\};", source, re.S)
        self.assertIsNotNone(blocks, "i18n.js holds UI = { zh: {...}, en: {...} }")
        keys = [set(re.findall(r"(?:^|[,{]\s*)(\w+):", block, re.M)) for block in blocks.groups()]
        self.assertEqual(keys[0] - keys[1], set(), "words with no English")
        self.assertEqual(keys[1] - keys[0], set(), "words with no Chinese")
        self.assertGreater(len(keys[0]), 150)


if __name__ == "__main__":
    unittest.main()
