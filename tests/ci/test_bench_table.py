#!/usr/bin/env python3
"""test_bench_table.py CI_BENCH - `ci/bench --table` turns BENCH lines
(docs/testing.md) into the performance table: lines of one name are runs
of one row (median and min-max of each figure and of the ratio), goal_op
and goal_of decide "met", a row without figures says why, a malformed line
becomes a row instead of vanishing, and other lines are ignored."""
import json
import subprocess
import sys
import unittest

BENCH = None


def table(*lines):
    text = ''.join((l if isinstance(l, str) else 'BENCH ' + json.dumps(l)) + '\n'
                   for l in lines)
    r = subprocess.run([sys.executable, BENCH, '--table'], input=text, capture_output=True,
                       text=True, check=True)
    rows = {}
    for line in r.stdout.splitlines()[2:]:
        cells = [c.strip() for c in line.strip('|').split(' | ')]
        rows[cells[0]] = cells[1:]
    return rows


class Table(unittest.TestCase):
    def test_median_and_spread_of_runs(self):
        rows = table({'name': 'a', 'mira': 3, 'reference': 30, 'unit': 'ms', 'ratio': 0.1,
                      'goal': 0.2, 'goal_op': '<='},
                     'noise between the lines',
                     {'name': 'a', 'mira': 1, 'reference': 10, 'unit': 'ms', 'ratio': 0.1,
                      'goal': 0.2, 'goal_op': '<='},
                     {'name': 'a', 'mira': 2, 'reference': 40, 'unit': 'ms', 'ratio': 0.05,
                      'goal': 0.2, 'goal_op': '<='})
        self.assertEqual(rows['a'], ['2.00 (1.00–3.00) ms', '30.0 (10.0–40.0) ms',
                                     '0.1 (0.05–0.1)', '≤ 0.2', 'yes'])

    def test_goal_direction(self):
        rows = table({'name': 'fast', 'mira': 1, 'reference': 2, 'unit': 'GB/s', 'goal': 0.95},
                     {'name': 'small', 'mira': 40, 'unit': 'KiB', 'goal': 32,
                      'goal_op': '<=', 'goal_of': 'mira'},
                     {'name': 'free', 'mira': 5, 'reference': 4, 'unit': 'KiB', 'goal': None})
        self.assertEqual(rows['fast'][2:], ['0.5', '≥ 0.95', '**no**'])  # ratio computed
        self.assertEqual(rows['small'], ['40.0 KiB', '—', '—', '≤ 32.0 KiB', '**no**'])
        self.assertEqual(rows['free'][-1], '—')

    def test_rows_without_figures_say_why(self):
        rows = table({'name': 'gone', 'error': 'not built | on xen', 'goal': 4,
                      'goal_op': '<=', 'goal_of': 'mira', 'unit': 'MiB'},
                     'BENCH {"name": "broken", ')
        self.assertEqual(rows['gone'][0], 'not measured: not built \\| on xen')
        self.assertEqual(rows['gone'][3], '≤ 4.00 MiB')
        bad = [k for k in rows if 'malformed' in k]
        self.assertEqual(len(bad), 1, rows)
        self.assertTrue(rows[bad[0]][0].startswith('not measured: '))

    def test_a_failed_run_among_good_ones_is_noted(self):
        rows = table({'name': 'r', 'mira': 1, 'reference': 1, 'unit': 's', 'goal': 1},
                     {'name': 'r', 'error': 'timeout'})
        self.assertEqual(rows['r'][-1], 'yes (1 of 2 runs gave no figure)')


if __name__ == '__main__':
    BENCH = sys.argv.pop(1)
    unittest.main(verbosity=2)
