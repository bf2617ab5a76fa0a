package kubespawner

import (
	"math"
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		value   string // JSON
		want    int64
		wantErr string
	}{
		// Results checked against JupyterHub's ByteSpecification.validate.
		{`"1.5G"`, 1610612736, ""},
		{`"4G"`, 4294967296, ""},
		{`"7.234G"`, 7767448354, ""},
		{`"512M"`, 536870912, ""},
		{`"1K"`, 1024, ""},
		{`"2T"`, 2199023255552, ""},
		{`"0.1K"`, 102, ""},
		{`"0G"`, 0, ""},
		{`"1e3G"`, 1073741824000, ""},
		{`" 2G"`, 2147483648, ""},
		{`"2 G"`, 2147483648, ""},
		{`"1_000M"`, 1048576000, ""},
		{`"+.5T"`, 549755813888, ""},
		{`"1.K"`, 1024, ""},
		{`"١٢M"`, 12582912, ""}, // Python's float() reads any Unicode digits
		{`"-1G"`, -1073741824, ""},
		{`4294967296`, 4294967296, ""},
		{`9223372036854775807`, 9223372036854775807, ""},
		{`2.7`, 2, ""},
		{`-0.5`, 0, ""},
		{`1e3`, 1000, ""},
		{`-5`, -5, ""},
		{`"4Gi"`, 0, "not a number followed by K, M, G or T"}, // float("4G") fails first
		{`"4g"`, 0, "does not end in K, M, G or T"},
		{`"1024"`, 0, "does not end in K, M, G or T"},
		{`"G"`, 0, "not a number"},
		{`""`, 0, "empty"},
		{`"infG"`, 0, "infinite"},
		{`"nanG"`, 0, "nan"},
		{`"1e308T"`, 0, "infinite"},
		{`"1__0M"`, 0, "not a number"},
		{`"_1M"`, 0, "not a number"},
		{`"0x10M"`, 0, "not a number"},
		{`"99999999999T"`, 0, "too large"},
		{`1E400`, 0, "infinite"},
		{`99999999999999999999`, 0, "too large"},
		{`true`, 0, "boolean"},
		{`null`, 0, "null"},
		{`[]`, 0, "integer or a string"},
		{`{}`, 0, "integer or a string"},
	}
	for _, tt := range tests {
		got, err := ParseBytes(decode(t, tt.value))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseBytes(%s) = %d, %v; want error %q", tt.value, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseBytes(%s) = %d, %v; want %d", tt.value, got, err, tt.want)
		}
	}
}

func TestPyFloat(t *testing.T) {
	tests := []struct {
		in     string
		want   float64
		wantOK bool
	}{
		// Results checked against Python 3.11's float().
		{"1", 1, true},
		{"1.5", 1.5, true},
		{" 2", 2, true},
		{"\t2\n", 2, true},
		{"\u20032\u2003", 2, true},
		{"\u00a02", 2, true},
		{"1e3", 1000, true},
		{"+.5e-3", 0.0005, true},
		{"1.", 1, true},
		{".5", 0.5, true},
		{"1_000", 1000, true},
		{"1e1_0", 1e10, true},
		{"١٢", 12, true},
		{"٣.٥", 3.5, true},
		{"1e400", math.Inf(1), true},
		{"inf", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true},
		{"iNF", math.Inf(1), true},
		{"_1", 0, false},
		{"1_", 0, false},
		{"1__0", 0, false},
		{"1._5", 0, false},
		{"١_٢", 12, true}, // digits become ASCII before the underscore rule
		{"0x10", 0, false},
		{".", 0, false},
		{"1e", 0, false},
		{"1e+", 0, false},
		{"+-1", 0, false},
		{"1 2", 0, false},
		{"\u180e2", 0, false},
		{"\u200b2", 0, false},
		{"\x1c1", 0, false},
		{"", 0, false},
		{"1.2.3", 0, false},
	}
	for _, tt := range tests {
		got, err := pyFloat(tt.in)
		if (err == nil) != tt.wantOK || tt.wantOK && got != tt.want {
			t.Errorf("pyFloat(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.wantOK)
		}
	}
	for _, in := range []string{"nan", "nAn", "+nan", "-NaN"} {
		if got, err := pyFloat(in); err != nil || !math.IsNaN(got) {
			t.Errorf("pyFloat(%q) = %v, %v; want NaN", in, got, err)
		}
	}
}

func TestParseCPU(t *testing.T) {
	tests := []struct {
		value   string
		want    float64
		wantErr bool
	}{
		{`2`, 2, false},
		{`0.5`, 0.5, false},
		{`15.109639999999999`, 15.109639999999999, false},
		{`0`, 0, false},
		{`-1`, -1, false},
		{`1e-400`, 0, false},
		{`1e400`, 0, true},
		{`"2"`, 0, true},
		{`"500m"`, 0, true},
		{`true`, 0, true},
		{`null`, 0, true},
		{`[1]`, 0, true},
	}
	for _, tt := range tests {
		got, err := ParseCPU(decode(t, tt.value))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseCPU(%s) = %v, %v; want %v, error %v", tt.value, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"},
		{1, "1 byte"},
		{1023, "1023 bytes"},
		{1024, "1 KiB"},
		{1536, "1.5 KiB"},
		{536870912, "512 MiB"},
		{4294967296, "4 GiB"},
		{1610612736, "1.5 GiB"},
		{7767448354, "7.23 GiB"},
		{999856524, "953.54 MiB"},
		{2199023255552, "2 TiB"},
		{1 << 50, "1 PiB"},
		{math.MaxInt64, "8 EiB"},
		{-4294967296, "-4 GiB"},
		{math.MinInt64, "-8 EiB"},
	}
	for _, tt := range tests {
		if got := FormatBytes(tt.n); got != tt.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestCheckQuantity(t *testing.T) {
	tests := []struct {
		in     string
		wantOK bool
	}{
		{"1", true},
		{"500m", true},
		{"2Gi", true},
		{"1.5", true},
		{".5", true},
		{"1.", true},
		{"+1", true},
		{"1e3", true},
		{"1E-3", true},
		{"129M", true},
		{"1k", true},
		{"1K", false}, // Kubernetes' kilo is lowercase
		{"4GB", false},
		{"1e", false},
		{"-1", false},
		{"", false},
		{"one", false},
		{" 1", false},
		{".", false},
	}
	for _, tt := range tests {
		if err := checkQuantity(tt.in); (err == nil) != tt.wantOK {
			t.Errorf("checkQuantity(%q) = %v, want ok=%v", tt.in, err, tt.wantOK)
		}
	}
}
