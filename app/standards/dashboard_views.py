"""The dashboard, the release log and the exports. Thin: dashboard.py and exports.py do it.

Opening the dashboard first releases any period that is due (releases.release_due), so the
tables appear without anyone having to run the command; it never changes one already out.
"""

from __future__ import annotations

from datetime import date

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.extensions import intake_db as db
from app.extensions import talisman
from app.models.standards import Analyst, Export, Release
from app.standards import audit, commissioning, exports, releases, settings
from app.standards.access import signed_in_analyst
from app.standards.blueprint import bp
from app.standards.charts import use_styles
from app.standards.dashboard import default_period, period_words, provider_names, shown_tables
from app.standards.forms import ExportForm, PeriodForm
from app.standards.stored import audit_entry, period_order, released_periods


def url_slug(label: str) -> str:
    return label.replace(" ", "-")


def _label_from(slug: str) -> str:
    label = slug.replace("-Q", " Q", 1)
    if label not in released_periods():
        abort(404)
    return label


@bp.get("/")
@talisman(content_security_policy=None)  # charts.content_security_policy sets it
def commissioning_view() -> str:
    """The first page after sign-in: demand against capacity and the KPIs, across periods."""
    releases.release_due()
    demand = commissioning.demand()
    kpis = commissioning.kpis()
    targets = commissioning.targets()
    return render_template(
        "standards/commissioning.html",
        demand=demand,
        demand_chart=commissioning.demand_chart(demand) if demand else None,
        kpis=kpis,
        kpi_words=commissioning.kpi_words(),
        kpi_charts={code: commissioning.kpi_chart(code, kpis, targets[code])
                    for code in commissioning.KPIS} if kpis else {},
        targets=targets,
        meets=commissioning.meets,
        percent_kpis=commissioning.PERCENT_KPIS,
        differences=commissioning.differences(),
    )


@bp.get("/tables")
@talisman(content_security_policy=None)  # charts.content_security_policy sets it
def dashboard() -> str:
    releases.release_due()
    periods = released_periods()
    form = PeriodForm(request.args)
    form.period.choices = [(label, period_words(label)) for label in periods]
    chosen = request.args.get("period") or default_period()
    if chosen is not None and chosen not in periods:
        abort(404)
    form.period.data = chosen
    tables = shown_tables(chosen) if chosen else []
    charts = {table.slug: table.chart(chosen) for table in tables if table.charted and chosen}
    use_styles(list(charts.values()))
    upcoming, upcoming_on = releases.next_release(date.today())
    return render_template(
        "standards/dashboard.html",
        form=form,
        export_form=ExportForm(),
        period=chosen,
        period_slug=url_slug(chosen) if chosen else "",
        period_words=period_words(chosen) if chosen else "",
        intake_tables=[t for t in tables if t.source == "intake"],
        provider_tables=[t for t in tables if t.source == "provider"],
        charts=charts,
        upcoming=upcoming.label,
        upcoming_on=upcoming_on,
    )


@bp.post("/periods/<slug>/export")
def export(slug: str) -> Response:
    period = _label_from(slug)
    form = ExportForm()
    if not form.validate_on_submit():
        return redirect(url_for(".dashboard", period=period), code=303)
    file_format = "json" if form.json.data else "csv"
    analyst = signed_in_analyst()
    assert analyst is not None  # require_analyst let the request in
    text, media = exports.export(analyst, period, file_format)
    response = Response(text, mimetype=media)
    filename = f"standards-{url_slug(period)}.{file_format}"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/about-the-figures")
def about_figures() -> str:
    """Why a figure is [c], and how percentages and medians are worked out (issues 10, 13)."""
    rules = settings.rules()
    return render_template(
        "standards/about_figures.html",
        threshold=rules.threshold,
        rounding_base=rules.rounding_base,
    )


@bp.get("/releases")
def release_log() -> str:
    names = provider_names()
    batches: dict[tuple[str, str, str], list[Release]] = {}
    for release in db.session.scalars(select(Release)):
        key = (release.period, release.source, release.provider_id)
        batches.setdefault(key, []).append(release)
    ordered = sorted(batches.items(), key=lambda item: period_order(item[0][0]), reverse=True)
    rows = [
        {
            "period": period,
            "source": "Intake (measured)"
            if source == "intake"
            else names.get(provider, "Provider"),
            "tables": sorted(r.table_name for r in found),
            "released_on": min(r.released_on for r in found),
            "audit": audit.log_text(audit_entry(found[0])),
        }
        for (period, source, provider), found in ordered
    ]
    downloads = db.session.execute(
        select(Export, Analyst.name)
        .join(Analyst, Export.analyst_id == Analyst.id)
        .order_by(Export.exported_on.desc())
    ).all()
    return render_template("standards/releases.html", rows=rows, downloads=downloads)
