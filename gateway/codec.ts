// The client-wire codec: plain MessagePack maps with string keys, no records or extensions.
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, moreTypes: false, int64AsType: 'number' });

export const encode = (value: unknown): Uint8Array => packr.pack(value);
export const decode = (bytes: Uint8Array): unknown => packr.unpack(bytes);
