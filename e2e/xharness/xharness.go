// Package xharness runs a desktop binary under a private Xvfb server for the
// end-to-end tests and benchmarks: it starts the display, launches the app in its
// own process group with isolated XDG directories, waits for the page to report a
// rendered screen (the app's Ready binding, which writes $DESKCLERK_READY_FILE only
// in builds with the test hooks: make build-test, tag testhooks), takes
// screenshots, measures memory, and makes sure nothing of the app is left running.
package xharness

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/png" // screenshots are PNG
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Display is a running Xvfb server.
type Display struct {
	Name string // e.g. ":93"
	cmd  *exec.Cmd
}

// StartDisplay starts Xvfb on a free display number.
func StartDisplay(width, height int) (*Display, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", width, height), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("start Xvfb: %w", err)
	}
	w.Close()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		if n == "" {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, errors.New("the X server (Xvfb) exited without a display number")
		}
		return &Display{Name: ":" + n, cmd: cmd}, nil
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, errors.New("the X server (Xvfb) did not start within 15s")
	}
}

// Close stops the server.
func (d *Display) Close() {
	if d == nil || d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
}

// Screenshot writes the whole screen to path as PNG.
func (d *Display) Screenshot(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	out, err := exec.Command("import", "-display", d.Name, "-window", "root", path).CombinedOutput()
	if err != nil {
		return fmt.Errorf("screenshot: %v: %s", err, out)
	}
	return nil
}

// XDoTool runs xdotool on this display and returns its trimmed output.
func (d *Display) XDoTool(args ...string) (string, error) {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+d.Name)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("xdotool %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// App is a launched app process (the leader of its own process group).
type App struct {
	Cmd       *exec.Cmd
	ReadyFile string
	Log       *bytes.Buffer
	Started   time.Time
	done      chan struct{}
	waitErr   error
}

// Launch starts bin on the display with extra environment entries. dataDir holds
// the app's XDG data/config/cache directories, so runs can share or isolate state.
func (d *Display) Launch(bin, dataDir string, env ...string) (*App, error) {
	ready := filepath.Join(dataDir, fmt.Sprintf("ready-%d.jsonl", time.Now().UnixNano()))
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"DISPLAY="+d.Name,
		"NO_AT_BRIDGE=1", // no accessibility bus: nothing to leave behind
		"XDG_DATA_HOME="+filepath.Join(dataDir, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(dataDir, "config"),
		"XDG_CACHE_HOME="+filepath.Join(dataDir, "cache"),
		"DESKCLERK_READY_FILE="+ready,
	)
	cmd.Env = append(cmd.Env, env...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	a := &App{Cmd: cmd, ReadyFile: ready, Log: &log, done: make(chan struct{})}
	a.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("launch %s: %w", bin, err)
	}
	go func() { a.waitErr = cmd.Wait(); close(a.done) }()
	return a, nil
}

// ReadyEvent is one line the app's Ready binding wrote (test-hook builds only).
type ReadyEvent struct {
	PID           int    `json:"pid"`
	Screen        string `json:"screen"`
	MainUnixNano  int64  `json:"mainUnixNano"`
	ReadyUnixNano int64  `json:"readyUnixNano"`
}

// Events returns the Ready lines written so far.
func (a *App) Events() []ReadyEvent {
	b, _ := os.ReadFile(a.ReadyFile)
	var out []ReadyEvent
	for _, l := range strings.Split(string(b), "\n") {
		var e ReadyEvent
		if json.Unmarshal([]byte(l), &e) == nil && e.Screen != "" {
			out = append(out, e)
		}
	}
	return out
}

// WaitScreen polls until the page reports screen (any screen when ""), the app
// exits, or the timeout passes.
func (a *App) WaitScreen(screen string, timeout time.Duration) (ReadyEvent, error) {
	deadline := time.Now().Add(timeout)
	for {
		for _, e := range a.Events() {
			if screen == "" || e.Screen == screen {
				return e, nil
			}
		}
		select {
		case <-a.done:
			return ReadyEvent{}, fmt.Errorf("app exited (%v) before screen %q; log:\n%s", a.waitErr, screen, a.Log.String())
		default:
		}
		if time.Now().After(deadline) {
			return ReadyEvent{}, fmt.Errorf("no screen %q within %v (seen %v); log:\n%s", screen, timeout, a.Events(), a.Log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Quit sends SIGTERM (Wails shuts down cleanly on it), waits, and then checks that no
// process of the app's group is left. It kills leftovers and reports them as an error.
func (a *App) Quit(timeout time.Duration) error {
	pgid := a.Cmd.Process.Pid
	_ = a.Cmd.Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case <-a.done:
	case <-time.After(timeout):
		err = fmt.Errorf("app did not exit within %v of SIGTERM", timeout)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-a.done
	}
	// WebKit's helper processes exit when the UI process closes their sockets; give them a moment.
	for i := 0; i < 100 && GroupAlive(pgid); i++ {
		time.Sleep(30 * time.Millisecond)
	}
	if GroupAlive(pgid) {
		left := GroupMembers(pgid)
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		err = errors.Join(err, fmt.Errorf("processes left after quit: %v", left))
	}
	return err
}

// Kill ends the whole process group at once (a crash or power cut, for tests).
func (a *App) Kill() {
	_ = syscall.Kill(-a.Cmd.Process.Pid, syscall.SIGKILL)
	<-a.done
}

// GroupAlive reports whether any process of group pgid exists.
func GroupAlive(pgid int) bool { return syscall.Kill(-pgid, 0) == nil }

// GroupMembers lists "pid:comm" of the processes in group pgid.
func GroupMembers(pgid int) []string {
	var out []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// fields after the ")" of comm: state ppid pgrp ...
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		f := strings.Fields(s[i+1:])
		if len(f) > 2 && f[2] == strconv.Itoa(pgid) {
			out = append(out, fmt.Sprintf("%d:%s", pid, s[strings.IndexByte(s, '(')+1:i]))
		}
	}
	return out
}

// PSSKiB sums the proportional set size of every process in group pgid, in KiB.
func PSSKiB(pgid int) (int64, error) {
	var total int64
	for _, m := range GroupMembers(pgid) {
		pid := m[:strings.IndexByte(m, ':')]
		b, err := os.ReadFile(filepath.Join("/proc", pid, "smaps_rollup"))
		if err != nil {
			continue // exited meanwhile
		}
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "Pss:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				total += kb
			}
		}
	}
	if total == 0 {
		return 0, errors.New("no PSS readable")
	}
	return total, nil
}

// ColourStats returns the number of distinct colours and the standard deviation of
// luminance of a PNG: a blank or black window has one or two colours and ~0 spread.
func ColourStats(path string) (colours int, stddev float64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return 0, 0, fmt.Errorf("decode %s: %w", path, err)
	}
	seen := map[uint32]struct{}{}
	var sum, sumSq, n float64
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[(r>>8)<<16|(g>>8)<<8|bl>>8] = struct{}{}
			l := 0.2126*float64(r>>8) + 0.7152*float64(g>>8) + 0.0722*float64(bl>>8)
			sum += l
			sumSq += l * l
			n++
		}
	}
	mean := sum / n
	return len(seen), math.Sqrt(math.Max(0, sumSq/n-mean*mean)), nil
}
