"""Cue sheets for the export tests and the export benchmark, built in code (no media needed)."""

from __future__ import annotations

from fractions import Fraction

from cuesheet_app.domain.model import Cue, CueSheet, Party, ProductionHeader

NON_LATIN_TITLES = [
    "Schön Rosmarin",
    "Ελληνικός χορός",
    "Калинка",
    "東京の夜",
]


def sample_sheet() -> CueSheet:
    """A small, realistic sheet at 25 fps, program start 01:00:00:00, with non-Latin names,
    an IPI with leading zeros, a 1/3 share, a formula-like title and an inactive cue."""
    h = ProductionHeader(
        program_title="Harbour Lights",
        program_akas=["Les Feux du port"],
        episode_title="The Long Night",
        episode_number="104",
        production_number="HL-104",
        production_company="Northlight Films Ltd",
        company_contact="1 Quay Street, Bristol BS1 4DJ",
        network="BBC Two",
        initial_air_date="2026-12-01",
        date_prepared="2026-11-20",
        prepared_by="Jana Nováková",
        prepared_by_email="jana@example.com",
        classification="Original",
        program_duration=25 * 60 * 44,  # 44 minutes
        frame_rate="25",
        program_start="01:00:00:00",
    )
    sheet = CueSheet(header=h)
    fps = 25

    def cue(seq: int, title: str, start_s: Fraction | int, end_s: Fraction | int, usage: str,
            parties: list[Party], **kw: object) -> Cue:
        return Cue(seq=seq, title=title, usage=usage, start=int(start_s * fps), end=int(end_s * fps),
                   parties=parties, **kw)

    sheet.cues = [
        cue(1, "Schön Rosmarin", 0, Fraction(3050, 100), "MT", [
            Party("C", "Fritz", "Kreisler", pro="GEMA", ipi="00012345678", share=Fraction(100)),
            Party("E", company="Schott Music GmbH", pro="GEMA", ipi="00098765432", share=Fraction(100)),
        ], origin="commercial", isrc="DEF059503430", artists=["Gil Shaham"], album="Violin Romances",
            label="Deutsche Grammophon"),
        cue(2, "Slavonic Dance No. 2", 95, Fraction(1324, 10), "BI", [
            Party("C", "Antonín", "Dvořák", pro="OSA", ipi="123456789", share=Fraction(100)),
            Party("E", company="Łódź Music Publishing", pro="ZAiKS", share=Fraction(100, 3)),
            Party("E", company="Κρήτη Εκδόσεις", pro="AEPI", share=Fraction(100, 3)),
            Party("E", company="Издательство Калинка", pro="RAO", share=Fraction(100, 3)),
        ], origin="library", library="Prague Sounds", catalogue_number="PS-017", track_number="3"),
        cue(3, "Ελληνικός χορός", 200, Fraction(24449, 100), "VV", [
            Party("CA", "Μίκης", "Θεοδωράκης", pro="AEPI", ipi="00000123456", share=Fraction(50)),
            Party("A", "Пётр", "Чайковский", pro="RAO", share=Fraction(50)),
            Party("E", company="東京音楽出版", pro="JASRAC", ipi="00555444333", share=Fraction(100)),
        ], origin="commissioned"),
        cue(4, "東京の夜", 300, 361, "BV", [
            Party("C", "健一", "山田", pro="JASRAC", ipi="00777666555", share=Fraction(100)),
        ], origin="commercial"),
        cue(5, "=HYPERLINK(\"http://evil.example\",\"click\")", 400, 412, "SO", [
            Party("C", "+Plus", "-Minus", pro="@PRO", share=Fraction(100)),
        ], notes="=1+1"),
        cue(0, "Dropped Take", 500, 520, "BI", [Party("C", "Cut", "Out", share=Fraction(100))],
            active=False),
        cue(6, "Calinka (Калинка)", 600, 700, "ET", [
            Party("C", "Ivan", "Larionov", pro="PD", share=Fraction(100)),
            Party("E", company="Public Domain", share=Fraction(100)),
        ], origin="commercial"),
    ]
    return sheet


def big_sheet(n_cues: int = 1000, parties_per_cue: int = 4) -> CueSheet:
    """A long sheet for pagination tests and the benchmark: ``n_cues`` with 4 parties each."""
    h = ProductionHeader(program_title="Benchmark Series", episode_title="Long Episode",
                         production_company="Bench Co", program_duration=25 * 3600 * 30,
                         frame_rate="25", program_start="00:00:00:00", classification="Revised",
                         revision_number=2)
    sheet = CueSheet(header=h)
    writers = max(1, parties_per_cue // 2)
    pubs = max(0, parties_per_cue - writers)
    for i in range(n_cues):
        parties = [Party("C", f"Writer{j}", f"Surname{i}-{j}", pro="ASCAP", ipi=f"{i * 10 + j:011d}",
                         share=Fraction(100, writers)) for j in range(writers)]
        parties += [Party("E", company=f"Publisher {i}-{j} Music Ltd", pro="BMI", ipi=f"{900000000 + i:011d}",
                          share=Fraction(100, pubs)) for j in range(pubs)]
        start = i * 25 * 60
        sheet.cues.append(Cue(seq=i + 1, title=f"Cue title number {i + 1} with a longer name to wrap",
                              usage="BI", start=start, end=start + 25 * 45 + i % 25, parties=parties,
                              origin="library", library="Bench Library", catalogue_number=f"BL{i:04d}"))
    return sheet
