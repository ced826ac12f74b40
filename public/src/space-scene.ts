// The three.js scene: one sphere per realm, axes, orbit/zoom, raycast picking, and arcs
// for cross-realm events that fade out over ARC_MS.
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { SPAN, type Placement } from './space-map.js';

const ARC_MS = 2500;

interface Arc {
  line: THREE.Line;
  born: number;
}

export class SpaceScene {
  readonly renderer: THREE.WebGLRenderer;
  private readonly scene = new THREE.Scene();
  private readonly camera = new THREE.PerspectiveCamera(50, 1, 0.1, 200);
  private readonly controls: OrbitControls;
  private readonly realms = new Map<string, THREE.Mesh>();
  private readonly arcs: Arc[] = [];
  private readonly ray = new THREE.Raycaster();
  arcsDrawn = 0;

  constructor(private readonly canvas: HTMLCanvasElement) {
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(Math.min(2, window.devicePixelRatio));
    this.scene.background = new THREE.Color(0x0b0f17);
    this.camera.position.set(14, 10, 16);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = true;
    this.scene.add(new THREE.AmbientLight(0xffffff, 0.6));
    const sun = new THREE.DirectionalLight(0xffffff, 1.2);
    sun.position.set(10, 20, 10);
    this.scene.add(sun);
    const box = new THREE.LineSegments(new THREE.EdgesGeometry(new THREE.BoxGeometry(SPAN, SPAN, SPAN)), new THREE.LineBasicMaterial({ color: 0x2a3550 }));
    this.scene.add(box, new THREE.AxesHelper(SPAN / 2 + 1));
    const loop = (): void => {
      this.frame(performance.now());
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }

  get realmCount(): number {
    return this.realms.size;
  }

  get liveArcs(): number {
    return this.arcs.length;
  }

  setRealms(places: readonly Placement[]): void {
    const keep = new Set(places.map((p) => p.realmId));
    for (const [id, m] of this.realms) {
      if (keep.has(id)) continue;
      this.scene.remove(m);
      m.geometry.dispose();
      this.realms.delete(id);
    }
    for (const p of places) {
      let m = this.realms.get(p.realmId);
      if (m === undefined) {
        m = new THREE.Mesh(new THREE.SphereGeometry(1, 24, 16), new THREE.MeshStandardMaterial());
        m.userData.realmId = p.realmId;
        this.realms.set(p.realmId, m);
        this.scene.add(m);
      }
      const color = new THREE.Color().setHSL(p.hue / 360, 0.7, 0.6);
      const mat = m.material as THREE.MeshStandardMaterial;
      mat.color = color;
      mat.emissive = color;
      mat.emissiveIntensity = 0.1 + p.glow * 0.9;
      m.scale.setScalar(p.size);
      m.position.set(p.x, p.y, p.z);
    }
  }

  /** An arc from one realm to each target (unknown ends, e.g. the API, start above the box). */
  addEvent(from: string, to: readonly string[], hue: number): number {
    let drawn = 0;
    const a = this.realms.get(from)?.position ?? new THREE.Vector3(0, SPAN, 0);
    for (const t of to) {
      const b = this.realms.get(t)?.position;
      if (b === undefined) continue;
      const mid = a.clone().add(b).multiplyScalar(0.5);
      mid.y += 1 + a.distanceTo(b) * 0.4;
      const pts = new THREE.QuadraticBezierCurve3(a.clone(), mid, b.clone()).getPoints(24);
      const mat = new THREE.LineBasicMaterial({ color: new THREE.Color().setHSL(hue / 360, 0.8, 0.65), transparent: true });
      const line = new THREE.Line(new THREE.BufferGeometry().setFromPoints(pts), mat);
      this.scene.add(line);
      this.arcs.push({ line, born: performance.now() });
      this.arcsDrawn++;
      drawn++;
    }
    return drawn;
  }

  /** The realm under a click at client coordinates, or null. */
  pick(clientX: number, clientY: number): string | null {
    const r = this.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(((clientX - r.left) / r.width) * 2 - 1, -((clientY - r.top) / r.height) * 2 + 1);
    this.ray.setFromCamera(ndc, this.camera);
    const hit = this.ray.intersectObjects([...this.realms.values()])[0];
    return hit === undefined ? null : String(hit.object.userData.realmId);
  }

  /** Where a realm is drawn on screen (CSS pixels relative to the canvas), for tests and labels. */
  screenOf(realmId: string): { x: number; y: number } | null {
    const m = this.realms.get(realmId);
    if (m === undefined) return null;
    const v = m.position.clone().project(this.camera);
    const r = this.canvas.getBoundingClientRect();
    return { x: ((v.x + 1) / 2) * r.width, y: ((1 - v.y) / 2) * r.height };
  }

  private frame(now: number): void {
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    if (w > 0 && h > 0 && (this.canvas.width !== Math.floor(w * this.renderer.getPixelRatio()) || this.camera.aspect !== w / h)) {
      this.renderer.setSize(w, h, false);
      this.camera.aspect = w / h;
      this.camera.updateProjectionMatrix();
    }
    for (let i = this.arcs.length - 1; i >= 0; i--) {
      const arc = this.arcs[i]!;
      const age = (now - arc.born) / ARC_MS;
      if (age >= 1) {
        this.scene.remove(arc.line);
        arc.line.geometry.dispose();
        this.arcs.splice(i, 1);
      } else (arc.line.material as THREE.LineBasicMaterial).opacity = 1 - age;
    }
    this.controls.update();
    this.renderer.render(this.scene, this.camera);
  }
}
