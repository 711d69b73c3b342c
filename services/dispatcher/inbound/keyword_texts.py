"""The texts to give Twilio's Advanced Opt-Out, so that Twilio's answers to STOP, START and HELP
are the project's (they name the clinic, its phone and, for STOP, 988), in English and Spanish.

    python -m services.dispatcher.inbound.keyword_texts [--site austin]

prints them per site and language, to paste into the Messaging Service's Opt-Out Management
(README "Going to production"). Nothing here runs in the service.
"""

from __future__ import annotations

import argparse
import json
from typing import Literal

from services.dispatcher.settings import DispatcherSection, DispatcherSettings
from services.dispatcher.texts.templates import SiteText, render

KeywordType = Literal["STOP", "START", "HELP"]
TEMPLATE_OF: dict[KeywordType, str] = {
    "STOP": "opt_out_confirmation",
    "START": "opt_in_confirmation",
    "HELP": "help",
}
LANGUAGES = ("en", "es")


def keyword_texts(
    section: DispatcherSection, site_id: str | None = None
) -> dict[str, dict[KeywordType, str]]:
    """{language: {STOP|START|HELP: text}} for one site (None: the default site)."""
    site_id = site_id or section.default_site
    site = section.sites[site_id]
    return {
        language: {
            kind: render(
                template,
                language=language,
                variables={},
                site=SiteText(site.display_name, site.help_phone),
                detailed=False,
                zone=site.zone,
                per_day=section.help_max_per_day,
            ).body
            for kind, template in TEMPLATE_OF.items()
        }
        for language in LANGUAGES
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.dispatcher.inbound.keyword_texts", description=__doc__
    )
    parser.add_argument("--site", default=None, help="a site id of MTM_SITES (default: all)")
    args = parser.parse_args(argv)
    section = DispatcherSettings().dispatcher
    sites = [args.site] if args.site else sorted(section.sites)
    print(json.dumps({s: keyword_texts(section, s) for s in sites}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
