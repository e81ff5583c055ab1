package emulator

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"deskclerk/demoapi"
)

// Webhooks follow Clerk's Svix delivery: the event is written to an outbox in
// the same transaction as the change it announces, and a single sender posts
// events in order, signed, retrying with backoff until the endpoint accepts.
const (
	maxWebhookAttempts = 10
	webhookBackoffMin  = 100 * time.Millisecond
	webhookBackoffMax  = 5 * time.Second
	webhookTimeout     = 5 * time.Second
)

func newWebhookSecret() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate webhook secret: %w", err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// backendUser is the user as Clerk's Backend API (and so its webhooks) shows it.
func (r *render) backendUser(u *userRecord) (object, error) {
	j, err := r.user(u)
	if err != nil {
		return nil, err
	}
	delete(j, "organization_memberships")
	j["private_metadata"] = object{}
	return j, nil
}

func (s *Server) emitUserEvent(c *call, t *txn, typ string, u *userRecord) error {
	data, err := (&render{s: s, t: t, now: c.now}).backendUser(u)
	if err != nil {
		return err
	}
	return s.enqueueEvent(c, t, typ, data)
}

func (s *Server) emitDeletedEvent(c *call, t *txn, userID string) error {
	return s.enqueueEvent(c, t, "user.deleted", object{"deleted": true, "id": userID, "object": "user"})
}

func (s *Server) enqueueEvent(c *call, t *txn, typ string, data object) error {
	payload, err := json.Marshal(object{
		"data": data, "object": "event", "type": typ, "timestamp": c.nowMS(),
		"instance_id":      s.keys.kid,
		"event_attributes": object{"http_request": object{"client_ip": "127.0.0.1", "user_agent": "deskclerk-emulator"}},
	})
	if err != nil {
		return fmt.Errorf("encode %s event: %w", typ, err)
	}
	if err := t.enqueue(outboxEvent{MsgID: newID("msg"), Type: typ, Payload: payload}); err != nil {
		return fmt.Errorf("queue %s event: %w", typ, err)
	}
	t.afterCommit(s.wakeSender)
	return nil
}

func (s *Server) wakeSender() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// runSender delivers the outbox until ctx ends.
func (s *Server) runSender(ctx context.Context, target string) {
	backoff := webhookBackoffMin
	client := &http.Client{Timeout: webhookTimeout}
	for {
		var key []byte
		var ev outboxEvent
		var ok bool
		err := s.store.view(func(t *txn) error {
			var err error
			key, ev, ok, err = t.firstOutbox()
			return err
		})
		if err != nil {
			s.log.Error("emulator: unreadable webhook dropped", "err", err)
			if key != nil { // one bad record must not hold up every later event
				_ = s.store.update(func(t *txn) error { return t.tx.Bucket(bucketOutbox).Delete(key) })
				continue
			}
			ok = false
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			}
			continue
		}
		err = s.deliver(ctx, client, target, ev)
		if err == nil {
			backoff = webhookBackoffMin
			if err := s.store.update(func(t *txn) error { return t.tx.Bucket(bucketOutbox).Delete(key) }); err != nil {
				s.log.Error("emulator: remove delivered webhook", "err", err)
			}
			continue
		}
		if ctx.Err() != nil {
			return // shutting down mid-delivery: the event stays queued for the next run
		}
		ev.Attempts++
		if ev.Attempts >= maxWebhookAttempts {
			s.log.Error("emulator: webhook dropped after retries", "type", ev.Type, "msg_id", ev.MsgID, "attempts", ev.Attempts, "err", err)
			_ = s.store.update(func(t *txn) error { return t.tx.Bucket(bucketOutbox).Delete(key) })
			continue
		}
		s.log.Warn("emulator: webhook delivery failed, will retry", "type", ev.Type, "msg_id", ev.MsgID, "attempt", ev.Attempts, "err", err)
		_ = s.store.update(func(t *txn) error { return t.putJSON(bucketOutbox, string(key), ev) })
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, webhookBackoffMax)
	}
}

func (s *Server) deliver(ctx context.Context, client *http.Client, target string, ev outboxEvent) error {
	ts := s.now()
	sig, err := demoapi.SignWebhook(s.webhookSecret, ev.MsgID, ts, ev.Payload)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(ev.Payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Svix-Webhooks/1.0 (deskclerk-emulator)")
	req.Header.Set("svix-id", ev.MsgID)
	req.Header.Set("svix-timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("svix-signature", sig)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post %s: %w", ev.Type, err)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post %s: endpoint answered %s", ev.Type, resp.Status)
	}
	return nil
}

// WaitWebhooks blocks until every queued webhook has been delivered (or
// dropped) or ctx ends. Tests use it to sequence "sign up, then ask the API".
func (s *Server) WaitWebhooks(ctx context.Context) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		n := 0
		if err := s.store.view(func(t *txn) error { n = t.outboxLen(); return nil }); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for webhooks: %d still queued: %w", n, ctx.Err())
		case <-tick.C:
		}
	}
}
