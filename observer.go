package probity

// Observer is told what the services and the store did, for an operator's
// metrics. Every method must be cheap and safe for concurrent use; it is
// told only of what was committed.
type Observer interface {
	// EventsIngested: n events of domain were stored by one ingest.
	EventsIngested(domain string, n int)
	// LeavesAppended: n leaves were committed to log.
	LeavesAppended(log string, n int)
	// Refused: a request was refused; op names what was asked
	// ("authenticate", "reading scores", ...).
	Refused(op string)
}

// NopObserver observes nothing.
type NopObserver struct{}

func (NopObserver) EventsIngested(string, int) {}
func (NopObserver) LeavesAppended(string, int) {}
func (NopObserver) Refused(string)             {}
