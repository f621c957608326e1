// The embedded database's URL as ccproxy prints it: loopback, user postgres, no password (only this user's
// connections are let through).
export const embeddedUrl = (host: string, port: number) => `postgresql://postgres@${host}:${port}/postgres`;
