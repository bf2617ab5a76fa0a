# hubprofiles: a static binary on a distroless, non-root base. The sidecar in
# z2jh's hub pod runs it with `serve --data-dir ...` and its config in
# HUBPROFILES_CONFIG (see chart/README.md). Build: docker build -t hubprofiles .
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
# OCI labels: where the image comes from and which build it is. VERSION and
# REVISION are build arguments (chart/README.md, "The image"):
#   docker build --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) .
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.source="https://github.com/jupyterhub/hubprofiles" \
      org.opencontainers.image.licenses="BSD-3-Clause" \
      org.opencontainers.image.title="hubprofiles" \
      org.opencontainers.image.description="KubeSpawner profile_list editor and server, a sidecar in the JupyterHub hub pod" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/hubprofiles /hubprofiles
COPY --from=build --chown=65532:65532 /out/srv/hubprofiles /srv/hubprofiles
USER 65532:65532
EXPOSE 10101
ENTRYPOINT ["/hubprofiles"]
CMD ["serve"]
