"""``python manage.py check_output DATA_FILE --group-by COL[,COL...]``: the output checks
of an aggregate table, run by an operator on a file of microdata (CSV or Parquet).

Exit status: 0 every cell passes, 1 some cell fails, 2 review (negative or missing
values), 4 the file or a column cannot be used (and argument errors).
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from scenarios.disclosure.cells import InputError, check_microdata
from scenarios.disclosure.params import FAIL, PASS, REVIEW, Parameters

EXIT = {PASS: 0, FAIL: 1, REVIEW: 2}
EXIT_ERROR = 4
AGGREGATES = ("count", "sum", "mean")


def _columns(text: str) -> list[str]:
    columns = [part.strip() for part in text.split(",") if part.strip()]
    if not columns:
        raise CommandError("--group-by needs at least one column.", returncode=EXIT_ERROR)
    return columns


class Command(BaseCommand):
    help = (
        "Check an aggregate table of a microdata file (CSV or Parquet) cell by cell: "
        "minimum threshold, zeros, N-K dominance, p-percent, negative and missing values. "
        "Exit status 0 pass, 1 fail, 2 review, 4 error."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        report = parser.error

        def error(message):  # argument errors exit 4 too: 2 means review here
            try:
                report(message)
            except SystemExit:
                sys.exit(EXIT_ERROR)

        parser.error = error
        return parser

    def add_arguments(self, parser):
        defaults = Parameters()
        parser.add_argument("data_file", help="CSV (.csv, .tsv) or Parquet (.parquet) file")
        parser.add_argument(
            "--group-by", required=True, type=_columns, help="COL[,COL...]: the table's cells"
        )
        parser.add_argument("--value", help="the column aggregated (needed for sum and mean)")
        parser.add_argument("--agg", choices=AGGREGATES, default="count")
        parser.add_argument(
            "--entity",
            help="the column identifying a unit (vessel, buoy ...); without it every row is one",
        )
        parser.add_argument("--threshold", type=int, default=defaults.threshold)
        parser.add_argument("--dominance-n", type=int, default=defaults.dominance_n)
        parser.add_argument("--dominance-k", type=float, default=defaults.dominance_k)
        parser.add_argument(
            "--p-percent", type=float, default=defaults.p_percent, help="a fraction: 0.1 is 10%%"
        )
        parser.add_argument(
            "--zeros-not-disclosive",
            action="store_true",
            help="zero cells pass the zero rule (by default they fail)",
        )
        parser.add_argument(
            "--ignore-missing", action="store_true", help="missing values are not sent to review"
        )
        parser.add_argument("--format", choices=("json", "text"), default="text")

    def handle(self, *args, **options):
        if options["threshold"] < 1 or options["dominance_n"] < 1:
            raise CommandError(
                "--threshold and --dominance-n must be at least 1.", returncode=EXIT_ERROR
            )
        if not 0 < options["dominance_k"] <= 1 or not 0 <= options["p_percent"] <= 1:
            raise CommandError(
                "--dominance-k must be in (0, 1] and --p-percent in [0, 1] (fractions).",
                returncode=EXIT_ERROR,
            )
        params = Parameters(
            threshold=options["threshold"],
            dominance_n=options["dominance_n"],
            dominance_k=options["dominance_k"],
            p_percent=options["p_percent"],
            zeros_are_disclosive=not options["zeros_not_disclosive"],
            check_missing=not options["ignore_missing"],
        )
        try:
            record = check_microdata(
                options["data_file"],
                group_by=options["group_by"],
                value=options["value"],
                agg=options["agg"],
                entity=options["entity"],
                params=params,
            )
        except InputError as error:
            raise CommandError(str(error), returncode=EXIT_ERROR) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(record, ensure_ascii=False, indent=1))
        else:
            self._write_text(record)
        code = EXIT[record["status"]]
        if code:
            sys.exit(code)

    def _write_text(self, record: dict) -> None:
        write = self.stdout.write
        aggregate = record["aggregate"]
        write(f"status: {record['status']}")
        write(f"summary: {record['summary']}")
        params = ", ".join(f"{k}={v}" for k, v in record["parameters"].items())
        write(f"parameters: {params}")
        value = f"{aggregate['agg'][0]}({aggregate['value'] or '*'})"
        entity = aggregate["entity"] or "each row"
        write(f"table: {value} by {', '.join(aggregate['group_by'])}; unit: {entity}")
        for name, item in record["checks"].items():
            write(f"  {name}: {item['status']} - {item['reason']}")
        header = [*aggregate["group_by"], "rows", "entities", "status", "rules"]
        lines = [
            [
                *("" if part is None else str(part) for part in cell["key"]),
                str(cell["rows"]),
                str(cell["entities"]),
                cell["status"],
                ", ".join(cell["failed"] + cell.get("review", [])),
            ]
            for cell in aggregate["cells"]
        ]
        widths = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(header)]
        write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
        for line in lines:
            write("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
