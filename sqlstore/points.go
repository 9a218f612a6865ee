package sqlstore

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/probity-dev/probity"
)

// Points are kept in the event's row as (uint32 version, float64 raw)
// pairs, so that accepting an event is one insert and scoring one range scan.
const pointSize = 12

func encodePoints(points []probity.Points) []byte {
	buf := make([]byte, 0, len(points)*pointSize)
	for _, p := range points {
		buf = encodePointInto(buf, p.Version, p.Raw)
	}
	return buf
}

// encodePointInto appends one (version, raw) pair to buf.
func encodePointInto(buf []byte, version int, raw float64) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(version))
	return binary.BigEndian.AppendUint64(buf, math.Float64bits(raw))
}

// EncodePoint is one (version, raw) pair as stored, for a backend's bulk path.
func EncodePoint(version int, raw float64) []byte { return encodePointInto(nil, version, raw) }

// setPoint returns buf with the points under p.Version set to p.Raw.
func setPoint(buf []byte, p probity.Points) []byte {
	out := make([]byte, 0, len(buf)+pointSize)
	for i := 0; i+pointSize <= len(buf); i += pointSize {
		if int(binary.BigEndian.Uint32(buf[i:])) != p.Version {
			out = append(out, buf[i:i+pointSize]...)
		}
	}
	return append(out, encodePoints([]probity.Points{p})...)
}

// decodePoints returns every (version, raw) pair of an event.
func decodePoints(buf []byte) ([]probity.Points, error) {
	if len(buf)%pointSize != 0 {
		return nil, fmt.Errorf("points of %d bytes, want a multiple of %d", len(buf), pointSize)
	}
	out := make([]probity.Points, 0, len(buf)/pointSize)
	for i := 0; i < len(buf); i += pointSize {
		out = append(out, probity.Points{Version: int(binary.BigEndian.Uint32(buf[i:])), Raw: math.Float64frombits(binary.BigEndian.Uint64(buf[i+4:]))})
	}
	return out, nil
}
