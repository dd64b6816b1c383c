#!/usr/bin/env python3
"""A driver subproject builds and passes its tests on its own, against the
runtime's uninstalled pkg-config file.  usage: standalone_driver.py
DRIVER_SOURCE_DIR MIRA_BUILD_DIR"""
import os
import subprocess
import sys
import tempfile


def main():
    src, mira_build = sys.argv[1], sys.argv[2]
    env = dict(os.environ)
    env['PKG_CONFIG_PATH'] = os.path.join(mira_build, 'meson-uninstalled')
    env.pop('MESON_TESTTHREADS', None)
    with tempfile.TemporaryDirectory() as b:
        for cmd in (['meson', 'setup', b, src],
                    ['ninja', '-C', b],
                    ['meson', 'test', '-C', b, '--print-errorlogs']):
            print('$ PKG_CONFIG_PATH=' + env['PKG_CONFIG_PATH'] + ' ' + ' '.join(cmd), flush=True)
            r = subprocess.run(cmd, env=env)
            if r.returncode != 0:
                print(f'FAIL: {" ".join(cmd)} exited {r.returncode}')
                return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
