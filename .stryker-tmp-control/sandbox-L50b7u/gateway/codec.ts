// @ts-nocheck
// The client-wire codec: plain MessagePack maps with string keys, no records or extensions.
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true, moreTypes: false, int64AsType: 'number' });
// Untrusted payloads (input / publish `data`) decode their maps to Map: thousands of fresh keys
// in plain objects cost V8 milliseconds (hidden classes, interned keys); a Map does not, and it
// encodes back to the same MessagePack map.
const dataPackr = new Packr({ useRecords: false, mapsAsObjects: false, variableMapSize: true, moreTypes: false, int64AsType: 'number' });

export const encode = (value: unknown): Uint8Array => packr.pack(value);
export const decode = (bytes: Uint8Array): unknown => packr.unpack(bytes);
export const decodeData = (bytes: Uint8Array): unknown => dataPackr.unpack(bytes);
