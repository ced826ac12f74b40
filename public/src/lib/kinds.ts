// Colours for entity kinds, shared by the entity viewer and the realm view.
const KIND_RGB: Record<string, [number, number, number]> = {
  npc: [79, 209, 197],
  merchant: [245, 185, 74],
  player: [255, 122, 182],
};
const OTHER: [number, number, number] = [110, 168, 254];

export function kindColor(kind: string, alpha = 1): string {
  const [r, g, b] = KIND_RGB[kind] ?? OTHER;
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}
