#!/bin/bash
# apt-mirror.sh - the Debian mirror this machine's apt already uses.
#   apt-mirror.sh [SUITE]        (SUITE defaults to bookworm)
# Prints the URI of the first apt source, in apt's own reading order
# (sources.list, then sources.list.d/*.list and *.sources by name), that
# has type deb, lists SUITE itself (not SUITE-security or SUITE-updates)
# and the component main.  Reads both formats: one-line
# ("deb [opts] URI SUITE COMPONENT...") and deb822 stanzas (Types:, URIs:,
# Suites:, Components:, Enabled:).  Only URIs debootstrap can fetch from
# (http, https, ftp, file) count.
# MIRA_APT_DIR replaces /etc/apt (the tests point it at sample files).
# No source found: one line on stderr and exit status 1.
set -euo pipefail

suite=${1:-bookworm}
apt_dir=${MIRA_APT_DIR:-/etc/apt}

files=()
[ -f "$apt_dir/sources.list" ] && files+=("$apt_dir/sources.list")
shopt -s nullglob
for f in "$apt_dir"/sources.list.d/*; do
    case $f in *.list | *.sources) [ -f "$f" ] && files+=("$f") ;; esac
done

uri=""
if [ ${#files[@]} -gt 0 ]; then
    uri=$(awk -v suite="$suite" '
        function has(list, word,    n, i, a) {
            n = split(list, a, /[ \t]+/)
            for (i = 1; i <= n; i++)
                if (a[i] == word)
                    return 1
            return 0
        }
        function usable(u) { return u ~ /^(https?|ftp|file):/ }
        function found(u) { print u; done = 1; exit }
        # deb822: one stanza ends at a blank line or at the end of a file.
        function stanza_end() {
            if (in_stanza && has(types, "deb") && has(suites, suite) &&
                has(comps, "main") && tolower(enabled) != "no") {
                sub(/^[ \t]+/, "", uris)
                split(uris, ua, /[ \t]+/)
                if (usable(ua[1]))
                    found(ua[1])
            }
            in_stanza = 0; types = uris = suites = comps = enabled = ""; last = ""
        }
        FNR == 1 { stanza_end(); deb822 = FILENAME ~ /\.sources$/ }
        deb822 {
            if ($0 ~ /^[ \t]*#/) next
            if ($0 ~ /^[ \t]*$/) { stanza_end(); next }
            if ($0 ~ /^[ \t]/) {                   # a continuation line
                val = $0; sub(/^[ \t]+/, "", val)
                if (last == "types") types = types " " val
                else if (last == "uris") uris = uris " " val
                else if (last == "suites") suites = suites " " val
                else if (last == "components") comps = comps " " val
                next
            }
            in_stanza = 1
            key = tolower($0); sub(/:.*/, "", key)
            val = $0; sub(/^[^:]*:[ \t]*/, "", val); sub(/[ \t]+$/, "", val)
            last = key
            if (key == "types") types = val
            else if (key == "uris") uris = val
            else if (key == "suites") suites = val
            else if (key == "components") comps = val
            else if (key == "enabled") enabled = val
            next
        }
        {                                          # one-line format
            line = $0; sub(/#.*/, "", line)
            n = split(line, f, /[ \t]+/)
            i = 1
            if (f[i] == "") i++                    # leading white space
            if (f[i] != "deb") next
            i++
            if (substr(f[i], 1, 1) == "[") {       # [ options ]
                while (i <= n && f[i] !~ /\]$/) i++
                i++
            }
            u = f[i]; s = f[i + 1]; comps = ""
            for (j = i + 2; j <= n; j++) comps = comps " " f[j]
            if (s == suite && has(comps, "main") && usable(u))
                found(u)
        }
        END { if (!done) stanza_end() }
    ' "${files[@]}")
fi
if [ -z "$uri" ]; then
    echo "apt-mirror: no apt source 'deb URI $suite main' in $apt_dir/sources.list or $apt_dir/sources.list.d/*.{list,sources}: set MIRA_DEBIAN_MIRROR to a Debian mirror URI" >&2
    exit 1
fi
echo "$uri"
