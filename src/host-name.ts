// Host names as URLs and Host headers carry them, made comparable: an IPv6 literal loses its brackets
// (`[::1]` → `::1`), as sockets, DNS and certificate checks expect it.
export const unbracket = (host: string): string => host.replace(/^\[|\]$/g, '');
