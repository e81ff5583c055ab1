// Command startbench measures Desk Clerk's cold start (exec → first rendered
// frame), binary size and memory against a bare Wails vanilla app built in the
// same run, which is the floor. It launches a build with the test hooks (make
// build-test: the ready file reports each painted screen), and weighs make build's
// binary and a release build, which have none. Launches alternate between the two apps so that
// machine noise hits both alike. Run through `make bench`.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"deskclerk/e2e/xharness"
)

// The bare app gets the same "first frame" report as Desk Clerk, and nothing else.
const bareReady = `
import {Ready} from '../wailsjs/go/main/App';
requestAnimationFrame(() => requestAnimationFrame(() => Ready('bare')));
`

const bareReadyGo = `
func (a *App) Ready(screen string) {
	if f := os.Getenv("DESKCLERK_READY_FILE"); f != "" {
		line := fmt.Sprintf("{\"pid\":%d,\"screen\":%q,\"readyUnixNano\":%d}\n", os.Getpid(), screen, time.Now().UnixNano())
		if fh, err := os.OpenFile(f, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
			fh.WriteString(line)
			fh.Close()
		}
	}
}
`

func main() {
	app := flag.String("app", "build/bin/deskclerk-test", "Desk Clerk binary with the test hooks (make build-test), launched")
	plain := flag.String("plain", "", "make build's binary, weighed (default: -app)")
	release := flag.String("release", "", "a release build (make package with a key), weighed; none when empty")
	runs := flag.Int("runs", 10, "launches per app")
	screen := flag.String("screen", "", "screen to wait for (default: the first one reported)")
	signedIn := flag.Bool("signed-in", true, "also measure restart to signed-in and the API call latency")
	flag.Parse()
	if err := run(*app, *runs, *screen, *signedIn, sizes{plain: *plain, release: *release}); err != nil {
		fmt.Fprintln(os.Stderr, "startbench:", err)
		os.Exit(1)
	}
}

// sizes are the binaries weighed against the bare app.
type sizes struct{ plain, release string }

func run(app string, runs int, screen string, signedIn bool, weigh sizes) error {
	app, _ = filepath.Abs(app)
	if weigh.plain == "" {
		weigh.plain = app
	}
	work, err := os.MkdirTemp("", "startbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	bare, err := buildBare(work)
	if err != nil {
		return fmt.Errorf("bare app: %w", err)
	}
	d, err := xharness.StartDisplay(1280, 900)
	if err != nil {
		return err
	}
	defer d.Close()

	type result struct {
		start []time.Duration
		pss   []int64
	}
	res := map[string]*result{"deskclerk": {}, "bare": {}}
	bins := map[string]string{"deskclerk": app, "bare": bare}
	// One warm-up launch each: the first ever launch pays for disk caches, not the app.
	for i := -1; i < runs; i++ {
		for _, name := range []string{"bare", "deskclerk"} {
			a, err := d.Launch(bins[name], filepath.Join(work, "state-"+name))
			if err != nil {
				return err
			}
			ev, err := a.WaitScreen(screen, 60*time.Second)
			if err != nil {
				a.Kill()
				return fmt.Errorf("%s: %w", name, err)
			}
			time.Sleep(1500 * time.Millisecond) // let start-up allocations settle before reading memory
			pss, perr := xharness.PSSKiB(a.Cmd.Process.Pid)
			if qerr := a.Quit(15 * time.Second); qerr != nil {
				return fmt.Errorf("%s: %w", name, qerr)
			}
			if i < 0 {
				continue
			}
			res[name].start = append(res[name].start, time.Unix(0, ev.ReadyUnixNano).Sub(a.Started))
			if perr == nil {
				res[name].pss = append(res[name].pss, pss)
			}
		}
	}
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return st.Size()
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	sa, sb := median(res["deskclerk"].start), median(res["bare"].start)
	ma, mb := medianInt(res["deskclerk"].pss), medianInt(res["bare"].pss)
	fmt.Printf("\nStart-up benchmark, %d launches each under Xvfb, %s\n\n", runs, time.Now().Format("2006-01-02"))
	fmt.Printf("| measure | Desk Clerk | bare Wails app (floor) | ratio | goal |\n|---|---|---|---|---|\n")
	fmt.Printf("| exec → first rendered frame, min–max | %.0f–%.0f ms | %.0f–%.0f ms | | |\n",
		ms(minD(res["deskclerk"].start)), ms(maxD(res["deskclerk"].start)), ms(minD(res["bare"].start)), ms(maxD(res["bare"].start)))
	verdict := func(r, goal float64) string {
		if r > goal {
			return "**missed**"
		}
		return "met"
	}
	fmt.Printf("| exec → first rendered frame, median | %.0f ms | %.0f ms | %.2f | ≤ 1.15 %s |\n", ms(sa), ms(sb), float64(sa)/float64(sb), verdict(float64(sa)/float64(sb), 1.15))
	fmt.Printf("| memory signed out, after start (PSS, all processes), median | %.1f MiB | %.1f MiB | %.2f | ≤ 1.25 %s |\n", float64(ma)/1024, float64(mb)/1024, float64(ma)/float64(mb), verdict(float64(ma)/float64(mb), 1.25))
	sizeRow := func(label, bin, goal string) {
		r := float64(size(bin)) / float64(size(bare))
		if goal != "" && r > 1.6 {
			goal += " — **missed**"
		}
		fmt.Printf("| %s | %.1f MiB | %.1f MiB | %.2f | %s |\n", label, float64(size(bin))/(1<<20), float64(size(bare))/(1<<20), r, goal)
	}
	sizeRow("binary size, development build (make build)", weigh.plain, "")
	if weigh.release != "" {
		if size(weigh.release) == 0 {
			return fmt.Errorf("no release binary at %s", weigh.release)
		}
		sizeRow("binary size, release build (no stand-ins)", weigh.release, "≤ 1.6")
	}
	if !signedIn {
		return nil
	}
	return benchSignedIn(d, app, bare, runs, work)
}

// buildBare scaffolds Wails' vanilla template with the same CLI and build tags.
func buildBare(work string) (string, error) {
	dir := filepath.Join(work, "bare")
	if out, err := exec.Command("wails", "init", "-n", "bare", "-t", "vanilla", "-d", dir, "-g").CombinedOutput(); err != nil {
		return "", fmt.Errorf("wails init: %v: %s", err, out)
	}
	mainJS := filepath.Join(dir, "frontend", "src", "main.js")
	js, err := os.ReadFile(mainJS)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(mainJS, append(js, bareReady...), 0o644); err != nil {
		return "", err
	}
	appGo := filepath.Join(dir, "app.go")
	src, err := os.ReadFile(appGo)
	if err != nil {
		return "", err
	}
	s := strings.Replace(string(src), "import (", "import (\n\t\"os\"\n\t\"time\"", 1)
	if err := os.WriteFile(appGo, []byte(s+bareReadyGo), 0o644); err != nil {
		return "", err
	}
	cmd := exec.Command("wails", "build", "-tags", "webkit2_41", "-nocolour")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("wails build: %v: %s", err, out)
	}
	return filepath.Join(dir, "build", "bin", "bare"), nil
}

func median(v []time.Duration) time.Duration {
	if len(v) == 0 {
		return 0
	}
	return sorted(v)[len(v)/2]
}

func medianInt(v []int64) int64 {
	s := append([]int64(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}

func minD(v []time.Duration) time.Duration { return sorted(v)[0] }
func maxD(v []time.Duration) time.Duration { s := sorted(v); return s[len(s)-1] }
func sorted(v []time.Duration) []time.Duration {
	s := append([]time.Duration(nil), v...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}
