package bureau

import (
	"fmt"

	"github.com/probity-dev/probity"
)

// subjectLimit follows one subject of an upload against the domain's
// events_per_subject limit: what the store held before the upload, what
// the upload has stored and what it has queued.
type subjectLimit struct {
	stored   int
	inserted int
	queued   int
	line     int // the first line about the subject: how messages name it
}

// overLimit is what an intake found past events_per_subject: how many
// lines, and the first of them.
type overLimit struct {
	lines int
	first int
}

// subjectLimit returns the count of e's subject, reading what the store
// holds the first time the subject appears in the upload.
func (in *intake) subjectLimit(line int, e *probity.Event) (*subjectLimit, error) {
	if c, ok := in.subjects[e.Subject]; ok {
		return c, nil
	}
	n, err := in.rtx.SubjectEventCount(in.domain, e.Subject)
	if err != nil {
		return nil, err
	}
	c := &subjectLimit{stored: n, line: line}
	in.subjects[e.Subject] = c
	return c, nil
}

// admit reports whether a new event (no other queued in the upload has its
// key) fits within its subject's limit, counting it as queued if so. At the
// limit, an event whose key the store holds is settled as a duplicate or a
// conflict (a resent upload is not refused); any other is rejected, once the
// queued events are stored and found to leave no room (duplicates among them
// take none). Only a store failure is returned.
func (in *intake) admit(line int, e *probity.Event, sum *probity.IngestSummary) (bool, error) {
	c, err := in.subjectLimit(line, e)
	if err != nil {
		return false, err
	}
	if c.stored+c.inserted+c.queued < in.limit {
		c.queued++
		return true, nil
	}
	prev, err := in.rtx.EventByKey(in.domain, e.Key)
	switch {
	case err == nil:
		in.settle(sum, line, prev, e)
		return false, nil
	case probity.ErrorCode(err) != probity.ENOTFOUND:
		return false, err
	}
	if c.queued > 0 {
		if err := in.flush(sum); err != nil {
			return false, err
		}
		if c.stored+c.inserted < in.limit {
			c.queued++
			return true, nil
		}
	}
	in.rejectOverLimit(sum, line, e, c)
	return false, nil
}

// admitChecked is admit for an upload that will not be stored (check):
// the store was already asked whether the key is new, so every event
// queued counts.
func (in *intake) admitChecked(line int, e *probity.Event, sum *probity.IngestSummary) (bool, error) {
	c, err := in.subjectLimit(line, e)
	if err != nil {
		return false, err
	}
	if c.stored+c.queued >= in.limit {
		in.rejectOverLimit(sum, line, e, c)
		return false, nil
	}
	c.queued++
	return true, nil
}

// stored counts a flushed batch: its events are no longer queued, and
// those inserted are stored.
func (in *intake) stored(batch []pendingEvent, inserted []bool) {
	for i, p := range batch {
		if c := in.subjects[p.event.Subject]; c != nil {
			c.queued--
			if inserted[i] {
				c.inserted++
			}
		}
	}
}

// rejectOverLimit rejects a line whose event would take its subject past
// the limit. The subject is named by its first line in the upload, never by
// its identifier.
func (in *intake) rejectOverLimit(sum *probity.IngestSummary, line int, e *probity.Event, c *subjectLimit) {
	if in.over.lines == 0 {
		in.over.first = line
	}
	in.over.lines++
	reject(sum, line, e.Key, fmt.Sprintf("limits.events_per_subject: the subject of line %d already has %d events in %s, "+
		"the most the domain stores about one subject (%d stored before this upload, retracted ones included); "+
		"this event would exceed it", c.line, in.limit, in.domain, c.stored))
}

// errRejected says that an upload was refused, and why when its subjects
// went past the limit.
func (in *intake) errRejected(sum *probity.IngestSummary) error {
	msg := fmt.Sprintf("%d of %d lines rejected; nothing was applied (fix them, or skip them with --skip-invalid / ?skip_invalid=true)",
		sum.Rejected, sum.Accepted+sum.Duplicates+sum.Rejected)
	if in.over.lines > 0 {
		msg += fmt.Sprintf("; %d of them, the first at line %d, would take a subject past %d events, the limit of %s (limits.events_per_subject in its spec)",
			in.over.lines, in.over.first, in.limit, in.domain)
	}
	return probity.Errorf(probity.EINVALID, "%s", msg)
}
