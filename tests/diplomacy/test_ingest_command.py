"""The `ingest` command: files, folders and standard input, with a summary of what happened."""

import io
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from unittest.mock import patch

import pytest
from django.core.management import CommandError, call_command

from articles.models import Article, Source

# Announcements are recorded, not extracted: see the `pipeline` fixture.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pipeline")]

SAMPLES = Path(__file__).resolve().parent.parent / "articles" / "samples"
BANGKOK = SAMPLES / "sullivan-wang-bangkok.txt"
MUNICH = SAMPLES / "blinken-wang-munich.md"
CLIMATE = SAMPLES / "kerry-xie-readout.html"


@pytest.fixture
def ingest(django_capture_on_commit_callbacks):
    """Run the command, returning its output and errors; commit callbacks run as they would."""

    def run(*args):
        stdout, stderr = io.StringIO(), io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("ingest", *map(str, args), stdout=stdout, stderr=stderr)
        return stdout.getvalue(), stderr.getvalue()

    return run


def test_it_ingests_files_and_prints_a_summary(ingest, pipeline):
    """Each file becomes an article, reported on a line, then counted in the summary."""
    out, err = ingest(BANGKOK, MUNICH)

    bangkok = Article.objects.get(title="Sullivan and Wang meet in Bangkok")
    munich = Article.objects.get(title="Blinken and Wang talk on the sidelines in Munich")
    assert f"new        {BANGKOK} → article {bangkok.pk} (pending)" in out
    assert f"new        {MUNICH} → article {munich.pk} (pending)" in out
    assert out.rstrip().endswith("2 new, 0 duplicate, 0 failed")
    assert err == ""
    assert "twelve hours of talks" in bangkok.body
    assert sorted(pipeline.extracted) == sorted([bangkok.pk, munich.pk])


def test_it_counts_a_file_already_ingested_as_duplicate(ingest, pipeline):
    """The same text again is reported as a duplicate and not queued again."""
    ingest(BANGKOK)

    out, _ = ingest(BANGKOK)

    assert out.startswith(f"duplicate  {BANGKOK} → article")
    assert out.rstrip().endswith("0 new, 1 duplicate, 0 failed")
    assert Article.objects.count() == 1
    assert len(pipeline.extracted) == 1


def test_it_walks_a_folder_for_text_markdown_and_html_only(ingest, tmp_path):
    """A folder is walked recursively; other files are left alone, not counted as failures."""
    for sample in (BANGKOK, MUNICH, CLIMATE):
        shutil.copy(sample, tmp_path)
    (tmp_path / "more" / "deeper").mkdir(parents=True)
    (tmp_path / "more" / "deeper" / "MALTA.TXT").write_text(
        "Sullivan and Wang Yi held talks in Malta over the weekend, the White House said."
    )
    (tmp_path / "data.json").write_text('{"text": "Blinken met Wang in Beijing."}')
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.7\n\x00\x01\x02")
    (tmp_path / "README").write_text("Not an article.")

    out, err = ingest(tmp_path)

    assert out.rstrip().endswith("4 new, 0 duplicate, 0 failed")
    assert err == ""
    assert Article.objects.count() == 4
    assert "MALTA.TXT" in out
    for ignored in ("data.json", "report.pdf", "README"):
        assert ignored not in out


def test_it_reads_the_title_and_date_of_an_html_file(ingest):
    """An HTML file gives its main text, its title and its metadata date."""
    ingest(CLIMATE)

    article = Article.objects.get()
    assert article.title == "Kerry and Xie resume climate talks in Beijing"
    assert article.published_at == datetime(2023, 7, 19, 12, tzinfo=UTC)
    assert article.published_source == "metadata"
    assert "Xie Zhenhua in Beijing" in article.body
    assert "<p>" not in article.body


def test_it_reads_standard_input(ingest, pipeline):
    """'-' reads the text from standard input."""
    stdin = io.TextIOWrapper(io.BytesIO(BANGKOK.read_bytes()), encoding="utf-8")

    with patch("sys.stdin", stdin):
        out, _ = ingest("-", "--title", "From a pipe")

    article = Article.objects.get()
    assert article.title == "From a pipe"
    assert article.body.startswith("Sullivan and Wang meet in Bangkok")
    assert f"new        standard input → article {article.pk}" in out
    assert pipeline.extracted == [article.pk]


def test_it_applies_the_given_date_title_url_and_source(ingest):
    """--published, --title, --url and --source are stored on the article."""
    ingest(
        BANGKOK,
        "--published",
        "2024-01-28",
        "--title",
        "Bangkok talks",
        "--url",
        "https://news.example.org/2024/01/28/bangkok",
        "--source",
        "Harbour Daily",
    )

    article = Article.objects.get()
    assert article.published_at == datetime(2024, 1, 28, 12, tzinfo=UTC)
    assert article.published_source == "given"
    assert article.title == "Bangkok talks"
    assert article.url == "https://news.example.org/2024/01/28/bangkok"
    assert article.source == Source.objects.get(name="Harbour Daily")


def test_it_prefers_the_given_date_over_the_page_metadata(ingest):
    """--published wins over the date in an HTML file's metadata."""
    ingest(CLIMATE, "--published", "2023-07-20")

    article = Article.objects.get()
    assert article.published_at == datetime(2023, 7, 20, 12, tzinfo=UTC)
    assert article.published_source == "given"


def test_it_refuses_a_title_or_url_for_several_inputs(ingest):
    """--title and --url describe one article, so several inputs are refused."""
    with pytest.raises(CommandError, match="apply to a single input"):
        ingest(BANGKOK, MUNICH, "--title", "Both")
    assert not Article.objects.exists()


def test_it_counts_a_binary_file_as_failed_and_ingests_the_rest(ingest, tmp_path):
    """Binary files fail with a message naming them; the good file is still stored."""
    good = tmp_path / "good.txt"
    shutil.copy(BANGKOK, good)
    image = tmp_path / "image.html"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    nul = tmp_path / "nul.txt"
    nul.write_bytes(b"\x00\x01\x02\x03 words " * 100)

    out, err = ingest(image, good, nul)

    assert out.rstrip().endswith("1 new, 0 duplicate, 2 failed")
    assert f"failed     {image}: The text is not UTF-8 (binary data" in err
    assert f"failed     {nul}: The text contains binary data" in err
    assert Article.objects.get().title == "Sullivan and Wang meet in Bangkok"


def test_it_fails_when_nothing_could_be_ingested(ingest, tmp_path):
    """When every input fails the command fails too, after reporting each."""
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n\n  ")

    with pytest.raises(CommandError, match="Nothing was ingested"):
        ingest(empty)


def test_it_drops_a_byte_order_mark(ingest, tmp_path):
    """A file saved with a UTF-8 BOM has no stray character in its title or text."""
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + BANGKOK.read_bytes())

    ingest(bom)

    article = Article.objects.get()
    assert article.title == "Sullivan and Wang meet in Bangkok"
    assert not article.body.startswith("\ufeff")


def test_it_refuses_a_path_that_does_not_exist(ingest, tmp_path):
    """A missing path stops the command before anything is ingested."""
    with pytest.raises(CommandError, match=r"no-such-file\.txt: no such file or folder"):
        ingest(BANGKOK, tmp_path / "no-such-file.txt")
    assert not Article.objects.exists()


def test_it_refuses_a_folder_without_articles(ingest, tmp_path):
    """A folder with no .txt, .md or .html file is an error, not a silent success."""
    (tmp_path / "data.json").write_text("{}")

    with pytest.raises(CommandError, match=r"No \.txt, \.md or \.html files"):
        ingest(tmp_path)


@pytest.mark.parametrize("value", ["2024-02-30", "28/01/2024", "yesterday"])
def test_it_refuses_an_impossible_publication_date(ingest, value):
    """--published must be a real date written YYYY-MM-DD; the message quotes the value."""
    with pytest.raises(CommandError, match=f"'{value}' is not a date in the form YYYY-MM-DD"):
        ingest(BANGKOK, "--published", value)
    assert not Article.objects.exists()


def test_it_refuses_a_publication_date_in_the_future(ingest):
    """A future --published date fails the input with the service's message."""
    with pytest.raises(CommandError, match="Nothing was ingested"):
        ingest(BANGKOK, "--published", "2999-01-01")


def test_it_processes_in_process_with_sync_instead_of_queueing(ingest, pipeline):
    """--sync calls the processing service itself: nothing is announced to the receivers."""
    with patch("diplomacy.management.commands.ingest.article_process_now") as process:
        ingest(BANGKOK, "--sync")

    assert pipeline.extracted == []
    process.assert_called_once_with(Article.objects.get().pk)


@pytest.mark.django_db(transaction=True)
def test_it_extracts_meetings_before_returning_with_sync(real_extraction):
    """With --sync the article is done, with its meeting and evidence, when the command returns."""
    from diplomacy.models import Evidence, Meeting

    call_command("load_reference", gazetteer_only=True, stdout=io.StringIO())
    stdout = io.StringIO()

    call_command("ingest", str(BANGKOK), "--published", "2024-01-28", "--sync", stdout=stdout)

    article = Article.objects.get()
    assert f"→ article {article.pk} (done)" in stdout.getvalue()
    assert (article.status, article.error) == ("done", "")
    assert article.extractor_version
    # The text also recalls the presidents' November summit: that is a second meeting.
    meeting = Meeting.objects.filter(evidence__article=article, location__slug="bangkok")
    meeting = meeting.distinct().get()
    # "on Friday and Saturday" in a text published on Sunday 28 January 2024.
    assert (meeting.start_date, meeting.end_date) == (date(2024, 1, 26), date(2024, 1, 27))
    assert meeting.location.name == "Bangkok"
    assert {person.slug for person in meeting.participants.all()} == {"jake-sullivan", "wang-yi"}
    assert Evidence.objects.filter(article=article, meeting=meeting).exists()


def test_it_refuses_a_published_date_time_with_an_impossible_offset(ingest):
    """--published takes a date; a date-time with an offset beyond any zone is refused by name."""
    with pytest.raises(CommandError, match="--published"):
        ingest(BANGKOK, "--published", "2024-01-01T00:00:00+16:00")
    assert not Article.objects.exists()


def test_it_stores_an_html_file_whose_metadata_has_an_impossible_offset(ingest, tmp_path):
    """A page's date-time metadata with a +16:00 offset gives its day, not a database error."""
    page = tmp_path / "offset.html"
    page.write_text(
        CLIMATE.read_text().replace(
            "<head>",
            '<head><meta property="article:published_time" content="2024-01-01T00:00:00+16:00">',
            1,
        )
    )

    ingest(page)

    assert Article.objects.get().published_at.date().isoformat() == "2024-01-01"
