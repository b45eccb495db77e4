// Package pionlog routes pion's scoped loggers into log/slog, so the agent
// and the server each keep one log. Shared by both (it is neither's).
package pionlog

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// Factory is a pion LoggerFactory writing to a slog.Logger.
type Factory struct{ Log *slog.Logger }

var _ logging.LoggerFactory = Factory{}

// NewLogger implements logging.LoggerFactory.
func (f Factory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.Log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

// pion's output below error is chatty and mostly transient (an ICE check
// before candidates arrive, a stream closing while a peer leaves); it goes
// to debug. Its errors are warnings here: the SFU handles the outcome.
func (l pionLogger) Trace(msg string)                  {}
func (l pionLogger) Tracef(format string, args ...any) {}
func (l pionLogger) Debug(msg string)                  { l.log.Debug(msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.at(slog.LevelDebug, format, args) }
func (l pionLogger) Info(msg string)                   { l.log.Debug(msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.at(slog.LevelDebug, format, args) }
func (l pionLogger) Warn(msg string)                   { l.log.Debug(msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.at(slog.LevelDebug, format, args) }
func (l pionLogger) Error(msg string)                  { l.log.Warn(msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.at(slog.LevelWarn, format, args) }

func (l pionLogger) at(level slog.Level, format string, args []any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}
