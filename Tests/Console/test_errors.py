"""The console's refusals against the services' sources: every rule, detail and reason a service
can send (read from its Swift sources by `service_errors`), every field a refusal names (in the
refusal or to a validation helper) and every kind of record one reports missing has a Chinese text
in the console's errors.json, so a new rule without one fails here; and what errors.json says is
Chinese, with no value it cannot fill."""
import json
import pathlib
import re
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import service_errors  # noqa: E402

WORDS = json.loads((service_errors.ROOT / "Services" / "Gateway" / "Sources" / "Console" / "errors.json").read_text())
# Names that stay as they are written in Chinese software too.
LATIN = {"API", "ASCII", "ID", "MOD", "TOTP", "ISO", "CSRF", "UTF", "JSON", "Bearer", "ETA", "GB", "URL", "HTTP", "HTTPS", "PNG", "JPEG"}
# Texts passed along rather than written: a caught refusal re-thrown under another field name.
PASSED_ALONG = {("Services/Grid/Sources/Domain/CaseWorkflow.swift", "invalidArgument")}


class ServiceErrorsTest(unittest.TestCase):
    def test_every_refusal_is_written_as_a_template(self):
        refusals = service_errors.refusals()
        self.assertGreater(len(refusals), 250)
        for path, case, arguments in refusals:
            for label in ("rule", "detail", "reason"):
                if label in arguments and arguments[label] is None:
                    self.assertIn((str(path), case), PASSED_ALONG, f"{path}: a {case} {label} is not one string literal")

    def test_every_text_a_service_sends_has_chinese(self):
        templates, fields, resources = service_errors.texts()
        for name, sent, table in [("rules", templates, WORDS["rules"]), ("fields", fields, WORDS["fields"]),
                                  ("resources", resources, WORDS["resources"])]:
            self.assertEqual(sorted(sent - set(table)), [], f"errors.json {name} without Chinese")
        self.assertEqual(sorted(set(WORDS["rules"]) - templates), [], "rules no service sends any more")
        self.assertEqual(sorted(set(WORDS["resources"]) - resources), [], "resources no service names any more")

    def test_the_chinese_texts_are_chinese_and_fill_only_placeholders_they_have(self):
        for table in ("rules", "fields", "resources"):
            for english, chinese in WORDS[table].items():
                self.assertTrue(chinese.strip(), f"{table}: '{english}' has an empty text")
                self.assertRegex(chinese, r"[\u4e00-\u9fff]", f"{table}: '{chinese}' has no Chinese")
                # A value the caller must send, quoted, stays as it is sent.
                unquoted = re.sub(r"“[^”]*”|\{\d+\}", "", chinese)
                words = set(re.findall(r"[A-Za-z]{2,}", unquoted))
                self.assertLessEqual(words, LATIN, f"{table}: '{chinese}' keeps English words")
                placeholders = set(re.findall(r"\{\d+\}", chinese))
                self.assertLessEqual(placeholders, set(re.findall(r"\{\d+\}", english)), f"{table}: '{chinese}'")

    def test_the_extraction_numbers_interpolations_as_the_server_does(self):
        # RuleText numbers interpolations in order, nested literals inside them skipped
        # (RuleTextTests checks the server's side of the same text).
        source = 'DomainError.failedPrecondition(rule: "a \\(kind) panel scores \\(use.map { "\\($0)" } ?? "") items", detail: "x")'
        text, _ = service_errors._string_literal(source, source.index('"'))
        self.assertEqual(text, "a {0} panel scores {1} items")


if __name__ == "__main__":
    unittest.main()
