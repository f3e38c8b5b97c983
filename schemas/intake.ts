import { z } from 'zod';
import { durationSchema, sizeSchema } from './units.js';

export const intakeSchema = z
  .strictObject({
    socket: z.string().min(1).default('/run/telem-0').describe('Unix socket path probes connect to (upstream socket_path, default /run/telem-0).'),
    mode: z
      .string()
      .regex(/^0?[0-7]{3}$/, { error: 'expected an octal file mode in quotes, such as "0666"' })
      .default('0666')
      .describe('Permissions of the socket file, as an octal string (upstream: "0666", any local user may send).'),
    max_payload: sizeSchema.prefault('8KiB').describe('Largest payload accepted on the socket (libtelemetry sends at most 8192 bytes).'),
    max_connections: z.number().int().positive().default(256).describe('Most probe connections served at once; further connections wait in the listen backlog.'),
    max_connections_per_uid: z
      .number()
      .int()
      .positive()
      .default(64)
      .describe(
        "Most of the max_connections slots one local user (by SO_PEERCRED uid) may hold at once; that user's other connections wait, " +
          "served in turn with other users' (round-robin), and when the wait queue is full the user with the most waiting loses its newest. " +
          "So one user cannot take the socket from everyone; root's probes count like any other user's.",
      ),
    read_timeout: durationSchema.prefault('5s').describe('A connection that sends nothing for this long is closed, so a silent client cannot hold a slot.'),
    first_byte_timeout: durationSchema
      .prefault('2s')
      .describe(
        "Time a connection has, once it is read, to send its first four bytes (the frame's record_size; libtelemetry sends the whole frame at once); a client that connects and trickles or stays silent is closed and counted as slow_start.",
      ),
    recycle_after: z
      .union([durationSchema, z.null()])
      .prefault('5m')
      .describe('When started by socket activation, exit after this long without records (upstream daemon_recycling_enabled: 5 minutes); null never exits.'),
  })
  .prefault({})
  .describe('Intake: the unix socket that probes write records to.');
