"""The seed's DAG `user_automation` for users who keep Airflow; sluice does the work.

The seed's schedule (@daily from 2025-11-17 10:00 UTC, no catchup) and two tasks:
`stream_data` runs `sluice produce` for `sluice_produce_for` (the seed's task: fetch
users, format them, publish them to the topic), then `stream` runs `sluice stream
--trigger available-now` (the Spark job: the topic into the table, then exit). Each
prints its summary as one JSON line, the task's XCom.

Airflow Variables, read at run time by Jinja (the file parses without a DB), with
defaults: sluice_bin (sluice, on PATH), sluice_config (config/user_automation.yaml,
relative to the working dir), sluice_produce_for (60s) and sluice_workdir
($AIRFLOW_HOME/sluice, created if missing): sluice runs there, so ./data lands there.
scripts/airflow_check.sh runs it with `airflow dags test`.
"""

import os
import shlex

import pendulum

try:  # Airflow 3
    from airflow.sdk import DAG
except ImportError:  # Airflow 2
    from airflow import DAG
try:  # Airflow 3 (and 2.x with the standard provider)
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:
    from airflow.operators.bash import BashOperator

AIRFLOW_HOME = os.path.expanduser(os.environ.get("AIRFLOW_HOME", "~/airflow"))

DEFAULTS = {
    "sluice_bin": "sluice",
    "sluice_config": "config/user_automation.yaml",
    "sluice_produce_for": "60s",
    "sluice_workdir": os.path.join(AIRFLOW_HOME, "sluice"),
}


def var(name):
    """The Jinja expression of Variable `name`, with its default: rendered at run time."""
    return "{{ var.value.get(%r, %r) }}" % (name, DEFAULTS[name])


def shell_var(name):
    """var(name), shell-quoted (paths with spaces)."""
    return "{{ var.value.get(%r, %r) | shell_quote }}" % (name, DEFAULTS[name])


class SluiceOperator(BashOperator):
    """A BashOperator whose cwd is a template too (it is not in Airflow 2.6) and is
    created when missing, so ./data lands in the working dir Variable."""

    template_fields = tuple(dict.fromkeys((*BashOperator.template_fields, "cwd")))

    def execute(self, context):
        os.makedirs(self.cwd, exist_ok=True)
        return super().execute(context)


def sluice(task_id, args):
    """A task running `sluice --config <sluice_config> <args>` in the working dir."""
    return SluiceOperator(
        task_id=task_id,
        bash_command=f"exec {shell_var('sluice_bin')} --config {shell_var('sluice_config')} {args}",
        cwd=var("sluice_workdir"),
        # For traceability only: sluice reads every SLUICE_* variable as a config key,
        # so nothing here is named SLUICE_*.
        env={
            "AIRFLOW_DATA_INTERVAL_START": "{{ data_interval_start }}",
            "AIRFLOW_DATA_INTERVAL_END": "{{ data_interval_end }}",
        },
        append_env=True,
    )


default_args = {
    "owner": "hakkache",
    "start_date": pendulum.datetime(2025, 11, 17, 10, 0, tz="UTC"),
}

with DAG(
    "user_automation",
    default_args=default_args,
    schedule="@daily",
    catchup=False,
    doc_md=__doc__,
    tags=["sluice"],
    user_defined_filters={"shell_quote": shlex.quote},
) as dag:
    stream_data = sluice("stream_data", f"produce --for {shell_var('sluice_produce_for')} --json")
    stream = sluice("stream", "stream --trigger available-now --json")
    stream_data >> stream
