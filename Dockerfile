# hubprofiles: a static binary on a distroless, non-root base. The sidecar in
# z2jh's hub pod runs it with `serve --config ... --data-dir ...` (see
# chart/README.md). Build: docker build -t hubprofiles .
#
# tools/imagecheck checks this file: the build command below, run as written,
# must give a statically linked binary.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -buildvcs=false -ldflags="-s -w" -o /out/hubprofiles ./cmd/hubprofiles
# The default data directory, owned by the runtime user (a volume usually
# covers it; without one the data lives as long as the container).
RUN mkdir -p /out/srv/hubprofiles

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/hubprofiles /hubprofiles
COPY --from=build --chown=65532:65532 /out/srv/hubprofiles /srv/hubprofiles
USER 65532:65532
EXPOSE 10101
ENTRYPOINT ["/hubprofiles"]
CMD ["serve"]
