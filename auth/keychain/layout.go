package keychain

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// The write protocol, which keeps the old or the new value readable after a
// crash at any point (see manifest.go for the entry format):
//
//  1. read the current manifest M0;
//  2. for a value that fits in one entry: write the new manifest (inline
//     value) — done in one step;
//     for a longer value: rewrite M0 with the new generation added to its gc
//     list (M0 still reads as the old value), write the new chunks, then
//     write the new manifest pointing at them;
//  3. delete the chunks of the previous generation and of any leftovers, then
//     drop them from the manifest's gc list.
//
// Delete of an inline value deletes the manifest. With chunks, it first writes
// an "empty" manifest (a tombstone: reads as not found) that lists every
// generation as garbage, deletes the chunks, then deletes the manifest.

// read returns the stored state, and whether the keychain holds nothing but
// that state (no tombstone, no garbage to collect): only then may a later
// write of the same state be skipped.
func (s *Store) read(ctx context.Context) (st state, clean bool, err error) {
	var prevRaw string
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		raw, err := s.get(ctx, "read manifest", s.opts.Account)
		if errors.Is(err, ErrNotFound) {
			return state{}, true, nil
		}
		if err != nil {
			return state{}, false, err
		}
		if attempt > 0 && raw == prevRaw {
			return state{}, false, lastErr // same manifest, same damage: no writer is racing us
		}
		prevRaw = raw
		m, err := parseManifest(raw)
		if err != nil {
			return state{}, false, err
		}
		switch m.kind {
		case kindEmpty:
			return state{}, false, nil
		case kindInline:
			return state{present: true, value: m.value}, len(m.gc) == 0, nil
		}
		v, err := s.readChunks(ctx, m)
		if err == nil {
			return state{present: true, value: v}, len(m.gc) == 0, nil
		}
		if !errors.Is(err, ErrCorrupt) {
			return state{}, false, err
		}
		lastErr = err // perhaps another process switched generations under us: re-read the manifest
	}
	return state{}, false, lastErr
}

func (s *Store) readChunks(ctx context.Context, m manifest) (string, error) {
	var b strings.Builder
	b.Grow(m.size)
	for i := 0; i < m.gen.n; i++ {
		c, err := s.get(ctx, fmt.Sprintf("read chunk %d/%d", i+1, m.gen.n), chunkUser(s.opts.Account, m.gen.id, i))
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("%w: chunk %d of %d is missing", ErrCorrupt, i+1, m.gen.n)
		}
		if err != nil {
			return "", err
		}
		b.WriteString(c)
		if b.Len() > m.size {
			break
		}
	}
	v := b.String()
	if len(v) != m.size || checksum(v) != m.sum {
		return "", fmt.Errorf("%w: chunks do not add up to the recorded value", ErrCorrupt)
	}
	return v, nil
}

func (s *Store) readManifest(ctx context.Context) (m manifest, found bool, err error) {
	raw, err := s.get(ctx, "read manifest", s.opts.Account)
	if errors.Is(err, ErrNotFound) {
		return manifest{}, false, nil
	}
	if err != nil {
		return manifest{}, false, err
	}
	m, err = parseManifest(raw)
	if err != nil {
		// Overwriting is the only way forward; chunks it may have named are lost to clean-up.
		s.log.Warn("replacing an unreadable keychain manifest", "service", s.service, "err", err)
		return manifest{}, false, nil
	}
	return m, true, nil
}

// write makes the keychain hold target. clean reports that nothing else is
// left in it (no garbage still to collect).
func (s *Store) write(ctx context.Context, target state) (clean bool, err error) {
	m0, found, err := s.readManifest(ctx)
	if err != nil {
		return false, err
	}
	var garbage []generation // unreferenced once the new manifest is in place
	if found {
		garbage = m0.gc
		if m0.kind == kindChunks {
			garbage = append(garbage, m0.gen)
		}
	}
	if !target.present {
		return s.remove(ctx, found, m0, garbage)
	}

	value := target.value
	inline := manifest{kind: kindInline, value: value}
	inline.gc = s.boundGC(garbage, "")
	// Room for one more gc entry: the intent record of a later chunked write
	// rewrites this manifest with one, and must still fit.
	if len(inline.encode())+gcEntryMax <= s.opts.ChunkSize {
		if err := s.set(ctx, "write manifest", s.opts.Account, inline.encode(), value); err != nil {
			return false, err
		}
		return s.collectGarbage(ctx, inline), nil
	}

	chunks := splitChunks(value, s.opts.ChunkSize)
	gen := generation{id: newGenID(), n: len(chunks)}

	// 1. Announce the generation before writing it, so a crash cannot leave
	// chunks that no manifest names.
	intent := manifest{kind: kindEmpty}
	if found {
		intent = m0
	}
	intent.gc = s.boundGC(intent.gc, intent.gen.id, gen)
	if err := s.set(ctx, "write manifest (intent)", s.opts.Account, intent.encode(), value, m0.value); err != nil {
		return false, err
	}
	// 2. The chunks.
	for i, c := range chunks {
		if err := s.set(ctx, fmt.Sprintf("write chunk %d/%d", i+1, len(chunks)), chunkUser(s.opts.Account, gen.id, i), c, value); err != nil {
			return false, err // the intent record makes the next write delete them
		}
	}
	// 3. Switch.
	next := manifest{kind: kindChunks, gen: gen, size: len(value), sum: checksum(value)}
	next.gc = s.boundGC(garbage, gen.id)
	if err := s.set(ctx, "write manifest", s.opts.Account, next.encode(), value); err != nil {
		return false, err
	}
	// 4. Old generations.
	return s.collectGarbage(ctx, next), nil
}

// remove deletes the state. Once the tombstone is written the state reads as
// deleted, so failing to delete every chunk after that is not an error: the
// tombstone keeps naming them and the next Save or Delete finishes the job.
func (s *Store) remove(ctx context.Context, found bool, m0 manifest, garbage []generation) (clean bool, err error) {
	if !found {
		return true, nil
	}
	if len(garbage) > 0 {
		tomb := manifest{kind: kindEmpty, gc: s.boundGC(garbage, "")}
		if err := s.set(ctx, "write manifest (delete)", s.opts.Account, tomb.encode(), m0.value); err != nil {
			return false, err
		}
		if left, err := s.deleteGenerations(ctx, tomb.gc); len(left) > 0 {
			s.log.Warn("keychain delete: some chunks remain; the state reads as deleted and the next Save or Delete retries",
				"service", s.service, "generations", len(left), "err", err)
			if len(left) < len(tomb.gc) {
				tomb.gc = left
				_ = s.set(ctx, "write manifest (delete)", s.opts.Account, tomb.encode())
			}
			return false, nil
		}
	}
	if err := s.del(ctx, "delete manifest", s.opts.Account); err != nil && !errors.Is(err, ErrNotFound) {
		if len(garbage) > 0 {
			return false, nil // the tombstone is in place: deleted
		}
		return false, err
	}
	return true, nil
}

// collectGarbage deletes the generations m lists as garbage and rewrites m
// without those it deleted, reporting whether nothing is left. The new value
// is already in place, so failures here only leave work for the next write:
// they are logged, not returned.
func (s *Store) collectGarbage(ctx context.Context, m manifest) (clean bool) {
	if len(m.gc) == 0 {
		return true
	}
	left, err := s.deleteGenerations(ctx, m.gc)
	if len(left) == len(m.gc) {
		s.log.Warn("keychain clean-up of old chunks failed; will retry on the next write", "service", s.service, "err", err)
		return false
	}
	secret := ""
	if m.kind == kindInline {
		secret = m.value
	}
	m.gc = left
	if err := s.set(ctx, "write manifest (clean-up)", s.opts.Account, m.encode(), secret); err != nil {
		s.log.Warn("keychain clean-up: manifest rewrite failed; will retry on the next write", "service", s.service, "err", err)
		return false
	}
	return len(left) == 0
}

// deleteGenerations deletes every chunk of gens and returns those it could
// not fully delete, with the first error. Chunks already gone count as
// deleted.
func (s *Store) deleteGenerations(ctx context.Context, gens []generation) (left []generation, firstErr error) {
	for gi, g := range gens {
		ok := true
		for i := 0; i < g.n; i++ {
			err := s.del(ctx, fmt.Sprintf("delete old chunk %d/%d", i+1, g.n), chunkUser(s.opts.Account, g.id, i))
			if err != nil && !errors.Is(err, ErrNotFound) {
				ok = false
				if firstErr == nil {
					firstErr = err
				}
				if ctx.Err() != nil {
					return append(left, gens[gi:]...), firstErr
				}
			}
		}
		if !ok {
			left = append(left, g)
		}
	}
	return left, firstErr
}

func (s *Store) boundGC(gc []generation, keep string, add ...generation) []generation {
	out, dropped := mergeGC(gc, keep, add...)
	if dropped > 0 {
		s.log.Warn("keychain: too many unfinished chunk generations; forgetting the oldest", "service", s.service, "forgotten", dropped)
	}
	return out
}
