use super::*;

fn text(s: &str) -> Node {
    Filter::parse_text(s)
        .unwrap_or_else(|e| panic!("{s}: {e:?}"))
        .0
}

fn prop(p: &str) -> Box<Node> {
    Box::new(Node::Property(p.into()))
}

#[test]
fn precedence_keywords_and_literals() {
    // AND binds tighter than OR, NOT than AND; keywords in any case.
    assert_eq!(
        text("a = 1 or NOT b = 2 And c = 3"),
        Node::Or(vec![
            Node::Compare(CmpOp::Eq, prop("a"), Box::new(Node::Int(1))),
            Node::And(vec![
                Node::Not(Box::new(Node::Compare(
                    CmpOp::Eq,
                    prop("b"),
                    Box::new(Node::Int(2))
                ))),
                Node::Compare(CmpOp::Eq, prop("c"), Box::new(Node::Int(3))),
            ]),
        ])
    );
    // `*` before `+`, a sign folded into the number, a quoted name is always a property.
    assert_eq!(
        text("\"date\" + 2 * -3.5 >= 1e3"),
        Node::Compare(
            CmpOp::GtEq,
            Box::new(Node::Arith(
                ArithOp::Plus,
                prop("date"),
                Box::new(Node::Arith(
                    ArithOp::Mul,
                    Box::new(Node::Int(2)),
                    Box::new(Node::Num(-3.5))
                ))
            )),
            Box::new(Node::Num(1000.0))
        )
    );
    assert_eq!(
        text("name = 'O''Brien'"),
        Node::Compare(
            CmpOp::Eq,
            prop("name"),
            Box::new(Node::Str("O'Brien".into()))
        )
    );
    assert_eq!(
        text("t = TIMESTAMP('2024-05-01T12:00:00+02:00')"),
        Node::Compare(
            CmpOp::Eq,
            prop("t"),
            Box::new(Node::Timestamp("2024-05-01T10:00:00".into()))
        )
    );
    assert!(matches!(
        text("S_INTERSECTS(geom, POINT Z (1 2 3))"),
        Node::Spatial(Relation::Intersects, _, g) if *g == Node::Geometry(Geometry::Point([1.0, 2.0]))
    ));
}

struct Swap;

impl LiteralCrs for Swap {
    fn geometry(&self, g: &mut Geometry) -> Option<()> {
        g.each_coord_mut(&mut |c| {
            c.swap(0, 1);
            Ok::<(), ()>(())
        })
        .ok()
    }
    fn bbox(&self, [a, b, c, d]: [f64; 4]) -> Option<[f64; 4]> {
        Some([b, a, d, c])
    }
}

#[test]
fn literals_change_crs() {
    let mut f =
        Filter::parse_text("S_WITHIN(g, POINT(48 10)) or S_INTERSECTS(g, BBOX(48, 10, 49, 11))")
            .unwrap();
    f.literals_to(&Swap).unwrap();
    let Node::Or(parts) = &f.0 else {
        panic!("{f:?}")
    };
    assert!(
        matches!(&parts[0], Node::Spatial(_, _, g) if **g == Node::Geometry(Geometry::Point([10.0, 48.0])))
    );
    assert!(
        matches!(&parts[1], Node::Spatial(_, _, b) if **b == Node::Bbox([10.0, 48.0, 11.0, 49.0]))
    );
}
