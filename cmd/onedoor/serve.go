package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"onedoor"
	odhttp "onedoor/http"
	"onedoor/internal/district"
	"onedoor/outbox"
	"onedoor/sqldb"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("serve", "[flags]", stderr)
	c.bind(fs)
	fs.StringVar(&c.addr, "addr", env("ONEDOOR_ADDR", "127.0.0.1:8080"), "address to listen on (env ONEDOOR_ADDR)")
	fs.StringVar(&c.webhookURL, "webhook-url", env("ONEDOOR_WEBHOOK_URL", ""), "deliver notifications to this URL as HMAC-signed webhooks (env ONEDOOR_WEBHOOK_URL); default: log them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := c.logger(stderr)
	db, sec, err := c.openStore(ctx, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := bootstrapAdmin(ctx, db, c.data, log); err != nil {
		return err
	}
	return serve(ctx, &c, db, sec, log, stdout)
}

// serve runs the HTTP server and the outbox dispatcher until ctx ends.
func serve(ctx context.Context, c *config, db *sqldb.DB, sec *secrets, log *slog.Logger, stdout io.Writer) error {
	senders := map[string]outbox.Sender{"log": outbox.LogSender{Logger: log}}
	if c.webhookURL != "" {
		hook := &outbox.WebhookSender{URL: c.webhookURL, Secret: sec.webhook, Client: &http.Client{}}
		senders["log"] = hook
		senders["webhook"] = hook
	}
	d := &outbox.Dispatcher{Store: db.Outbox(), Senders: senders, Logger: log}
	db.OnCommit(func([]onedoor.Event) { d.Poke() })
	go d.Run(ctx)
	go db.FollowCatalog(ctx, time.Minute) // imports made through other nodes
	if err := db.StartSupervision(ctx, env("ONEDOOR_SUPERVISION_RULES", "")); err != nil {
		return err
	}

	srv := odhttp.NewServer(db, log)
	ix, err := district.BuildIndex(ctx, db, time.Time{}, log)
	if err != nil {
		return err
	}
	go ix.RunDaily(ctx) // ages move on at midnight
	srv.Analytics(ix)
	go verifyPeriodically(ctx, db, srv, log, c.verifyEvery)
	if err := srv.Listen(c.addr); err != nil {
		return err
	}
	log.Info("onedoor is serving", "url", "http://"+srv.Addr(), "database", db.Dialect())
	fmt.Fprintf(stdout, "Onedoor listening on http://%s\n", srv.Addr())
	if err := srv.Serve(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bootstrapAdmin creates the first administrator on a new database and
// writes its token to DATA/admin.token (0600); the token itself is never
// logged.
func bootstrapAdmin(ctx context.Context, db *sqldb.DB, data string, log *slog.Logger) error {
	all, err := db.FindStaff(ctx)
	if err != nil || len(all) > 0 {
		return err
	}
	token, err := db.CreateStaff(ctx, &onedoor.Staff{Username: "admin", Name: "Administrator", Role: onedoor.RoleAdmin})
	if err != nil {
		return err
	}
	path := filepath.Join(data, "admin.token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return err
	}
	log.Info("created the first administrator; its API token is in the file", "username", "admin", "token_file", path)
	return nil
}

// verifyPeriodically runs the same check as `onedoor verify` a minute after
// start and then every period, logs each violation, and publishes their
// count on /metrics.
func verifyPeriodically(ctx context.Context, db *sqldb.DB, srv *odhttp.Server, log *slog.Logger, every time.Duration) {
	if every <= 0 {
		return
	}
	wait := time.Minute
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = every
		n := 0
		rep, err := db.Verify(ctx, func(v sqldb.Violation) {
			n++
			log.Error("verify: invariant violated", "case", v.Case, "rule", v.Rule, "reason", v.Reason)
		})
		if err != nil {
			if ctx.Err() == nil {
				log.Error("verify: could not run", "err", err)
			}
			continue
		}
		srv.SetVerifyResult(n, time.Now())
		log.Info("verify: done", "cases", rep.Cases, "violations", n)
	}
}
